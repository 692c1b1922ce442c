import { randomBytes } from 'node:crypto';
import t from 'tap';
import { checkpointScheduleId } from '../../src/alerts/checkpoint-schedule';
import { alertsSettled, historyText, newSigningSecret, receivers } from '../helpers/alert-worker';
import { setupApi, type ApiHarness } from '../helpers/api';
import { PEOPLE } from '../helpers/harness';
import { eventually } from '../helpers/wait';
import { spawnWorker, waitForOutput } from '../helpers/worker-process';

/**
 * Sinks that are down (connection refused) or refusing (HTTP 500) for a while, with the worker
 * as its own process as in production: every alert reaches every sink exactly once when it is
 * back, a sink undelivered longer than ALERT_FAILING_AFTER is reported once to the other sinks
 * and listed by /readyz (still 200), and no sink secret shows in logs, history or error text.
 */

const who = (id: string) => ({ id, isAdmin: false });
const RELEASE_FLOW = [
  'request.created',
  'request.approved',
  'request.approved',
  'credential.released',
  'credential.revealed',
  'session.closed',
];

let api: ApiHarness;
let rx: Awaited<ReturnType<typeof receivers<'siem' | 'chat' | 'pager'>>>;
const logs: string[] = [];
const secret = newSigningSecret();
const routingKey = randomBytes(16).toString('hex');
const chatToken = `T0/B0/${randomBytes(12).toString('hex')}`;

t.before(async () => {
  api = await setupApi(t, { worker: false });
  rx = await receivers(t, ['siem', 'chat', 'pager'] as const);
  const worker = spawnWorker(api.h, logs, {
    ALERT_WEBHOOK_URLS: '',
    ALERT_SINKS: JSON.stringify([
      { name: 'siem', format: 'generic', url: rx.siem.url, secret },
      { name: 'chat', format: 'slack', url: `${rx.chat.url}/services/${chatToken}`, minSeverity: 'info' },
      { name: 'pager', format: 'pagerduty', url: rx.pager.url, routingKey },
    ]),
    ALERT_FAILING_AFTER: 'PT3S',
    CONSOLE_URL: 'https://breakglass.contoso.test',
  });
  t.teardown(async () => {
    worker.kill('SIGKILL');
    await api.h.temporal.schedule
      .getHandle(checkpointScheduleId(api.h.taskQueue))
      .delete()
      .catch(() => {});
  });
  await waitForOutput(logs, /worker ready/);
});

void t.test('the worker creates the audit checkpoint schedule at start (daily by default)', async (t) => {
  const every = await eventually(
    'the schedule',
    async () =>
      (await api.h.temporal.schedule.getHandle(checkpointScheduleId(api.h.taskQueue)).describe()).spec.intervals?.[0]
        ?.every,
  );
  t.equal(every, 86_400_000, 'AUDIT_CHECKPOINT_EVERY defaults to P1D');
});

void t.test(
  'sinks down, then back: every alert once per sink, the outage reported once and listed by /readyz',
  async (t) => {
    const { h } = api;
    const { account } = await h.createAccount({ policy: { reviewDue: 'PT1H' } });
    await rx.chat.down();
    rx.pager.failWith = 500;

    const created = await h.lifecycle.create(who(PEOPLE.requester), {
      accountId: account.id,
      scenario: 'pim_unavailable',
      justification: 'PIM down',
      incidentRef: 'INC-99',
    });
    await h.lifecycle.decide(who(PEOPLE.approver1), created.id, 'approve', null);
    await h.lifecycle.decide(who(PEOPLE.approver2), created.id, 'approve', null);
    await h.lifecycle.reveal(who(PEOPLE.requester), created.id);
    await h.lifecycle.close(who(PEOPLE.requester), created.id, 'PIM back');

    const failingReports = () => rx.siem.raw.filter((d) => d.json.type === 'alert.delivery_failing');
    await eventually(
      'both outages reported to the working sink',
      () => failingReports().length >= 2 && failingReports(),
      40_000,
    );
    t.same(
      rx.siem.raw
        .filter((d) => d.json.requestId === created.id)
        .map((d) => d.json.type)
        .sort(),
      [...RELEASE_FLOW].sort(),
      'the working sink is not held up',
    );
    t.match(
      failingReports()
        .map((d) => d.json.summary)
        .sort(),
      [
        /^alert sink chat \(slack\) has not accepted alerts since /,
        /^alert sink pager \(pagerduty\) has not accepted alerts since .*answered 500/,
      ],
    );
    t.match(failingReports()[0]!.json, {
      severity: 'warning',
      requestId: null,
      actor: 'system',
      auditHead: { hash: /^[0-9a-f]{64}$/ },
    });

    const ready = await api.call('GET', '/readyz');
    t.equal(ready.status, 200, 'failing sinks do not make the service unready');
    t.same(
      ready.body.alertSinks.failing.map((f: { sink: string; format: string }) => `${f.sink}:${f.format}`).sort(),
      ['chat:slack', 'pager:pagerduty'],
      '/readyz lists them',
    );

    const pending = await h.pool.query<{ last_error: string | null }>(
      'SELECT last_error FROM alert_outbox WHERE request_id = $1 AND delivered_at IS NULL',
      [created.id],
    );
    const lastFailures = pending.rows.map((row) => row.last_error ?? '').join('\n');
    t.match(
      lastFailures,
      /alert sink (chat|pager) (unreachable|answered 500)/,
      'the alerts waiting in the outbox say which sink and why',
    );

    // Back: chat on its old port, pager accepting again.
    await rx.chat.up();
    rx.pager.failWith = null;
    await eventually('every alert delivered after the outage', () => alertsSettled(h, created.id), 40_000);
    const chat = rx.chat.raw.filter((d) => d.body.includes(created.id));
    t.equal(chat.length, RELEASE_FLOW.length, 'slack: every alert of the flow, once');
    t.equal(
      new Set(chat.map((d) => d.headers['idempotency-key'])).size,
      RELEASE_FLOW.length,
      'slack: distinct idempotency keys',
    );
    t.same(
      rx.pager.raw.map((d) => `${d.json.event_action} ${d.json.payload?.class ?? ''} ${d.json.dedup_key}`).sort(),
      [
        `resolve  breakglass/${created.id}`,
        `trigger credential.released breakglass/${created.id}`,
        `trigger credential.revealed breakglass/${created.id}`,
      ],
      'pagerduty: the two triggers and the resolve, once each, on one dedup key',
    );
    t.notOk(
      rx.chat.raw.some((d) => d.json.text.includes('alert sink chat')),
      'a sink is not told about its own outage',
    );
    t.equal(failingReports().length, 2, 'each outage reported once, however many retries failed');

    await eventually(
      'recovery recorded',
      async () => (await api.call('GET', '/readyz')).body.alertSinks.failing.length === 0,
    );
    const audit = await h.audit.list(h.pool, { limit: 1000 });
    t.same(
      audit
        .filter((e) => e.action.startsWith('alert.delivery_'))
        .map((e) => `${e.action}:${String(e.details.sink)}`)
        .sort(),
      [
        'alert.delivery_failing:chat',
        'alert.delivery_failing:pager',
        'alert.delivery_recovered:chat',
        'alert.delivery_recovered:pager',
      ],
      'outage and recovery are in the audit trail',
    );

    const needles = [chatToken, routingKey, secret, secret.replace(/^whsec_/, '')];
    const history = historyText(await h.temporal.workflow.getHandle(created.id).fetchHistory());
    const everywhere = {
      logs: logs.join(''),
      history,
      outbox: JSON.stringify((await h.pool.query('SELECT * FROM alert_outbox')).rows),
      failures: lastFailures,
      readyz: ready.text,
      audit: JSON.stringify(audit),
      siem: rx.siem.raw.map((d) => d.body).join('\n'),
    };
    t.match(everywhere.logs, /alert delivered/, 'the worker did log its deliveries');
    for (const [where, text] of Object.entries(everywhere)) {
      for (const needle of needles) t.notOk(text.includes(needle), `no sink secret in ${where}`);
    }
  },
);
