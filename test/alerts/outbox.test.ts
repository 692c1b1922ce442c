import t from 'tap';
import { createAlertOutbox } from '../../src/alerts/alert-outbox';
import { createAlertDelivery, type FailingReport } from '../../src/alerts/delivery';
import { createOutboxRepository } from '../../src/alerts/outbox-repository';
import { sinkMap } from '../../src/alerts/sinks';
import { withTransaction } from '../../src/db/pool';
import type { Alert } from '../../src/domain/alert';
import { receivers } from '../helpers/alert-worker';
import { PEOPLE, setupHarness, type Harness } from '../helpers/harness';
import { eventually } from '../helpers/wait';

/**
 * The alert outbox on real PostgreSQL and real HTTP receivers: alerts are written with their
 * event and sent after commit; a row left by a worker that died is picked up by another worker's
 * sweep once its claim runs out; several workers sweeping at once send each alert once; a sink
 * that refuses is retried with the reason kept, and takes the alert once it is back.
 */

let h: Harness;
const repository = createOutboxRepository();
const quiet = { info: () => {}, warn: () => {} };

t.before(async () => {
  h = await setupHarness(t, { worker: false });
});

let n = 0;
function anAlert(requestId: string): Alert {
  n += 1;
  return {
    eventId: `${requestId}:${n}`,
    type: 'request.approved',
    severity: 'info',
    requestId,
    accountId: 'acct-outbox',
    actor: PEOPLE.approver1,
    at: new Date().toISOString(),
    summary: `approval ${n}`,
  };
}

function outbox(
  urls: string[],
  options: { sweepEveryMs?: number; reports?: FailingReport[]; failingAfterMs?: number },
) {
  const delivery = createAlertDelivery({
    sinks: sinkMap(urls),
    pool: h.pool,
    failingAfterMs: options.failingAfterMs ?? 60_000,
    timeoutMs: 2_000,
  });
  return createAlertOutbox({
    pool: h.pool,
    delivery,
    report: async (failing) => void options.reports?.push(failing),
    log: quiet,
    sweepEveryMs: options.sweepEveryMs ?? 50,
    claimMs: 3_000,
  });
}

const rowsOf = async (requestId: string) =>
  (
    await h.pool.query<{ sink_id: string; attempts: number; delivered_at: string | null; last_error: string | null }>(
      'SELECT sink_id, attempts, delivered_at, last_error FROM alert_outbox WHERE request_id = $1 ORDER BY event_id',
      [requestId],
    )
  ).rows;

void t.test('written in the transaction of its event: a rolled-back event leaves no alert', async (t) => {
  const rx = await receivers(t, ['a'] as const);
  const box = outbox([rx.a.url], {});
  const requestId = 'req-rolled-back';
  await withTransaction(h.pool, async (tx) => {
    t.equal((await box.enqueue(tx, anAlert(requestId))).length, 1, 'one row per sink');
    throw new Error('the event could not be recorded');
  }).catch(() => undefined);
  t.same(await rowsOf(requestId), [], 'nothing left behind');
});

void t.test('sent at once after commit, once per sink; a retried recording adds nothing', async (t) => {
  const rx = await receivers(t, ['a', 'b'] as const);
  const box = outbox([rx.a.url, rx.b.url], {});
  const requestId = 'req-at-once';
  const alert = anAlert(requestId);
  const rows = await withTransaction(h.pool, (tx) => box.enqueue(tx, alert));
  t.equal(rows.length, 2);
  t.same(await withTransaction(h.pool, (tx) => box.enqueue(tx, alert)), [], 'the same event again: no new row');
  box.send(rows);
  await eventually('both delivered', async () => (await rowsOf(requestId)).every((row) => row.delivered_at));
  t.same([rx.a.received.length, rx.b.received.length], [1, 1], 'each sink received it once');
  t.equal(rx.a.received[0]!.idempotencyKey, `${alert.eventId}:${[...sinkMap([rx.a.url]).keys()][0]}`);
  t.match(rx.a.received[0], { type: 'request.approved', requestId, summary: alert.summary });
});

void t.test('a row held by a worker that died is sent by another worker once the claim runs out', async (t) => {
  const rx = await receivers(t, ['a'] as const);
  const requestId = 'req-orphan';
  // The dead worker: it committed the event and its alert, then died before sending it.
  await withTransaction(h.pool, (tx) =>
    repository.enqueue(tx, anAlert(requestId), [...sinkMap([rx.a.url]).keys()], 400),
  );
  const survivor = outbox([rx.a.url], {});
  survivor.start();
  t.teardown(() => survivor.stop());
  const started = Date.now();
  await eventually('delivered by the sweep', async () => Boolean((await rowsOf(requestId))[0]?.delivered_at));
  t.ok(Date.now() - started >= 250, 'not before the claim ran out');
  t.equal(rx.a.received.filter((alert) => alert.requestId === requestId).length, 1);
});

void t.test('three workers sweeping at once send each alert once', async (t) => {
  const rx = await receivers(t, ['a'] as const);
  const requestId = 'req-contended';
  const sinks = [...sinkMap([rx.a.url]).keys()];
  await withTransaction(h.pool, async (tx) => {
    for (let i = 0; i < 30; i += 1) await repository.enqueue(tx, anAlert(requestId), sinks, 0);
  });
  const boxes = [
    outbox([rx.a.url], { sweepEveryMs: 20 }),
    outbox([rx.a.url], { sweepEveryMs: 25 }),
    outbox([rx.a.url], { sweepEveryMs: 30 }),
  ];
  for (const box of boxes) box.start();
  t.teardown(() => Promise.all(boxes.map((box) => box.stop())));
  await eventually('all delivered', async () => (await rowsOf(requestId)).every((row) => row.delivered_at));
  const keys = rx.a.received.filter((alert) => alert.requestId === requestId).map((alert) => alert.idempotencyKey);
  t.equal(keys.length, 30, 'thirty deliveries');
  t.equal(new Set(keys).size, 30, 'thirty different alerts, none twice');
});

void t.test('a refusing sink: retried with the reason kept, reported once failing too long, then taken', async (t) => {
  const rx = await receivers(t, ['a'] as const);
  rx.a.failWith = 503;
  const reports: FailingReport[] = [];
  const box = outbox([rx.a.url], { reports, failingAfterMs: 500 });
  const requestId = 'req-refused';
  box.send(await withTransaction(h.pool, (tx) => box.enqueue(tx, anAlert(requestId))));
  box.start();
  t.teardown(() => box.stop());
  const refused = await eventually('retried', async () => {
    const [row] = await rowsOf(requestId);
    return row && row.attempts >= 2 && row;
  });
  t.match(refused.last_error, /answered 503/, 'the reason is kept on the row');
  t.equal(refused.delivered_at, null);
  await eventually('reported', () => reports.length > 0, 10_000);
  t.match(reports[0], { exceptSinkId: [...sinkMap([rx.a.url]).keys()][0], alert: { type: 'alert.delivery_failing' } });
  rx.a.failWith = null;
  await eventually('taken once back', async () => Boolean((await rowsOf(requestId))[0]?.delivered_at), 15_000);
  t.equal(rx.a.received.filter((alert) => alert.requestId === requestId).length, 1, 'delivered once');
});

void t.test('a sink this worker does not know: left for a worker that does, not dropped', async (t) => {
  const rx = await receivers(t, ['a'] as const);
  const box = outbox([rx.a.url], {});
  const requestId = 'req-unknown-sink';
  const rows = await withTransaction(h.pool, (tx) => repository.enqueue(tx, anAlert(requestId), ['elsewhere'], 3_000));
  box.send(rows);
  const row = await eventually('put back', async () => {
    const [current] = await rowsOf(requestId);
    return current && current.attempts >= 1 && current;
  });
  t.equal(row.delivered_at, null, 'still to deliver');
  t.equal(row.last_error, 'sink not configured on this worker');
  t.equal(rx.a.received.length, 0, 'not sent to another sink');
});

void t.test('delivered rows older than the keep time are purged, pending ones never', async (t) => {
  const requestId = 'req-purge';
  const sinks = ['somewhere'];
  const rows = await withTransaction(h.pool, async (tx) => [
    ...(await repository.enqueue(tx, anAlert(requestId), sinks, 0)),
    ...(await repository.enqueue(tx, anAlert(requestId), sinks, 0)),
  ]);
  await repository.markDelivered(h.pool, rows[0]!, null);
  await h.pool.query(`UPDATE alert_outbox SET delivered_at = now() - interval '31 days' WHERE event_id = $1`, [
    rows[0]!.eventId,
  ]);
  t.equal(await repository.purgeDelivered(h.pool, 30 * 86_400_000), 1, 'the old delivered row');
  t.same(
    (await rowsOf(requestId)).map((row) => row.delivered_at),
    [null],
    'the pending one stays',
  );
});
