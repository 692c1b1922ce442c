import t from 'tap';
import { withTransaction } from '../../src/db/pool';
import { setupHarness, type Harness } from '../helpers/harness';

let h: Harness;
t.before(async () => {
  h = await setupHarness(t, { worker: false });
});

async function appendMany(n: number, prefix: string) {
  for (let i = 0; i < n; i += 1) {
    await withTransaction(h.pool, (tx) =>
      h.audit.append(tx, {
        eventId: `${prefix}-${i}`,
        actor: 'tester',
        action: 'test.event',
        requestId: `${prefix}`,
        details: { i, note: 'ünïcödé ✓' },
      }),
    );
  }
}

// The tamperer is a database superuser: they can switch off the append-only trigger.
async function tamper(sql: string, params: unknown[] = []) {
  const client = await h.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
    await client.query(sql, params);
    await client.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

void t.test('an intact chain verifies, and appends are idempotent by event id', async (t) => {
  await appendMany(5, 'a');
  const again = await withTransaction(h.pool, (tx) =>
    h.audit.append(tx, { eventId: 'a-2', actor: 'someone-else', action: 'other' }),
  );
  t.equal(again.seq, 3, 'a retried append returns the original row');
  t.same(await h.audit.verify(h.pool), { ok: true, events: 5, firstBrokenSeq: null });
});

void t.test('the application role cannot update or delete audit rows', async (t) => {
  await t.rejects(h.pool.query(`UPDATE audit_events SET actor = 'x' WHERE seq = 1`), /append-only/);
  await t.rejects(h.pool.query(`DELETE FROM audit_events WHERE seq = 1`), /append-only/);
  await t.rejects(h.pool.query(`TRUNCATE audit_events`), /append-only/);
});

void t.test('concurrent appends keep one unbroken chain', async (t) => {
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      withTransaction(h.pool, (tx) => h.audit.append(tx, { eventId: `c-${i}`, actor: 'tester', action: 'parallel' })),
    ),
  );
  t.same(await h.audit.verify(h.pool), { ok: true, events: 25, firstBrokenSeq: null });
});

void t.test('deleting the newest row is detected against the chain head', async (t) => {
  const { rows } = await h.pool.query('SELECT * FROM audit_events WHERE seq = 25');
  await tamper(`DELETE FROM audit_events WHERE seq = 25`);
  t.same(await h.audit.verify(h.pool), { ok: false, events: 24, firstBrokenSeq: 25 });
  const row = rows[0] as Record<string, unknown>;
  await h.pool.query(
    `INSERT INTO audit_events (seq, event_id, at, actor, action, request_id, account_id, details, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
    [
      row.seq,
      row.event_id,
      row.at,
      row.actor,
      row.action,
      row.request_id,
      row.account_id,
      JSON.stringify(row.details),
      row.prev_hash,
      row.hash,
    ],
  );
  t.same(
    await h.audit.verify(h.pool),
    { ok: true, events: 25, firstBrokenSeq: null },
    'putting it back restores the chain',
  );
});

void t.test('changing a row is detected at that row', async (t) => {
  await tamper(`UPDATE audit_events SET details = '{"i": 99}' WHERE seq = 3`);
  t.same(await h.audit.verify(h.pool), { ok: false, events: 2, firstBrokenSeq: 3 });
});

void t.test('re-hashing a changed row is detected at the next row', async (t) => {
  const { rows } = await h.pool.query<{ hash: string }>('SELECT hash FROM audit_events WHERE seq = 3');
  await tamper(`UPDATE audit_events SET hash = $1 WHERE seq = 3`, ['f'.repeat(64)]);
  t.equal((await h.audit.verify(h.pool)).firstBrokenSeq, 3);
  await tamper(`UPDATE audit_events SET hash = $1, details = '{"i": 2, "note": "ünïcödé ✓"}' WHERE seq = 3`, [
    rows[0]!.hash,
  ]);
  t.same(
    await h.audit.verify(h.pool),
    { ok: true, events: 25, firstBrokenSeq: null },
    'restoring the row restores the chain',
  );
});

void t.test('deleting a row in the middle is detected at the gap', async (t) => {
  await tamper(`DELETE FROM audit_events WHERE seq = 10`);
  t.same(await h.audit.verify(h.pool), { ok: false, events: 9, firstBrokenSeq: 10 });
});

void t.test('two attempts of one event at once: the one that waited for the head gets the stored row', async (t) => {
  const first = await h.pool.connect();
  const second = await h.pool.connect();
  t.teardown(() => {
    first.release();
    second.release();
  });
  const event = { eventId: 'raced-1', actor: 'tester', action: 'test.event', requestId: 'raced' };
  await first.query('BEGIN');
  const written = await h.audit.append(first, { ...event, details: { attempt: 1 } });
  await second.query('BEGIN');
  // Waits on the head lock the first attempt holds; its snapshot does not have the first's row.
  const waiting = h.audit.append(second, { ...event, details: { attempt: 2 } });
  await new Promise((resolve) => setTimeout(resolve, 100));
  await first.query('COMMIT');
  const answered = await waiting;
  await second.query('COMMIT');
  t.same(answered, written, 'the second attempt answers the row the first stored');
  const rows = await h.audit.list(h.pool, { requestId: 'raced', limit: 10 });
  t.equal(rows.length, 1, 'one row');
  const head = await h.pool.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id');
  t.same(head.rows[0], { seq: written.seq, hash: written.hash }, 'the head moved once, to the stored row');
});
