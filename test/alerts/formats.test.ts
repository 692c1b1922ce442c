import { randomBytes } from 'node:crypto';
import t from 'tap';
import { Webhook } from 'standardwebhooks';
import { standardWebhookHeaders } from '../../src/alerts/sign';
import type { SinkConfig } from '../../src/alerts/sinks';
import {
  alertsSettled,
  historyText,
  newSigningSecret,
  receivers,
  receiverShapes,
  startAlertWorker,
} from '../helpers/alert-worker';
import type { RawDelivery } from '../helpers/alert-sink';
import { PEOPLE, setupHarness, type Harness } from '../helpers/harness';
import { eventually } from '../helpers/wait';

/**
 * Every format through the real worker to local receivers: each body in its receiver's
 * documented shape (test/fixtures/alerts), the generic one signed so that an independent
 * Standard Webhooks implementation accepts it, routing by minimum severity, PagerDuty's
 * trigger-then-resolve on one dedup key, console links, and no sink secret in history.
 */

const who = (id: string) => ({ id, isAdmin: false });
const CONSOLE = 'https://breakglass.contoso.test/console/';
const { shapes, errors } = receiverShapes();

let h: Harness;
let rx: Awaited<ReturnType<typeof receivers<'generic' | 'siem' | 'slack' | 'teams' | 'pagerduty'>>>;
const secret = newSigningSecret();
const routingKey = randomBytes(16).toString('hex');
const slackToken = `xoxwebhook${randomBytes(12).toString('hex')}`;
const teamsSig = `sig-${randomBytes(12).toString('hex')}`;
let released: { id: string; accountId: string };
let denied: { id: string; accountId: string };

t.before(async () => {
  h = await setupHarness(t, { worker: false });
  rx = await receivers(t, ['generic', 'siem', 'slack', 'teams', 'pagerduty'] as const);
  const sinks: SinkConfig[] = [
    { name: 'audit-siem', format: 'generic', url: rx.generic.url, minSeverity: 'info', secret },
    { name: 'siem-warnings', format: 'generic', url: rx.siem.url, minSeverity: 'warning' },
    {
      name: 'ops-slack',
      format: 'slack',
      url: `${rx.slack.url}/services/T0001/B0001/${slackToken}`,
      minSeverity: 'info',
    },
    {
      name: 'sec-teams',
      format: 'teams',
      url: `${rx.teams.url}/workflows/run?api-version=1&sig=${teamsSig}`,
      minSeverity: 'critical',
    },
    { name: 'pager', format: 'pagerduty', url: rx.pagerduty.url, minSeverity: 'critical', routingKey },
  ];
  await startAlertWorker(t, h, sinks, { consoleUrl: CONSOLE });

  const first = await h.createAccount({ policy: { reviewDue: 'PT1H' } });
  const created = await h.lifecycle.create(who(PEOPLE.requester), {
    accountId: first.account.id,
    scenario: 'mfa_outage',
    justification: 'MFA provider down',
    incidentRef: 'INC-12',
  });
  await h.lifecycle.decide(who(PEOPLE.approver1), created.id, 'approve', null);
  await h.lifecycle.decide(who(PEOPLE.approver2), created.id, 'approve', null);
  await h.lifecycle.reveal(who(PEOPLE.requester), created.id);
  await h.lifecycle.close(who(PEOPLE.requester), created.id, 'MFA restored; policies fixed');
  released = { id: created.id, accountId: first.account.id };

  const second = await h.createAccount();
  const refused = await h.lifecycle.create(who(PEOPLE.requester), {
    accountId: second.account.id,
    scenario: 'other',
    justification: 'testing the denial path',
    incidentRef: null,
  });
  await h.lifecycle.decide(who(PEOPLE.approver1), refused.id, 'deny', 'no incident open');
  denied = { id: refused.id, accountId: second.account.id };

  await eventually(
    'every alert delivered or dropped by routing',
    async () => (await alertsSettled(h, released.id)) && (await alertsSettled(h, denied.id)),
    40_000,
  );
});

const of = (deliveries: RawDelivery[], requestId: string, key: (body: any) => unknown) =>
  deliveries.filter((delivery) => key(delivery.json) === requestId);
const link = (requestId: string) => `https://breakglass.contoso.test/console/requests/${requestId}`;
const RELEASE_FLOW = [
  'request.created',
  'request.approved',
  'request.approved',
  'credential.released',
  'credential.revealed',
  'session.closed',
];

void t.test('the documented shapes accept their own documented examples', async (t) => {
  for (const [name, shape] of Object.entries(shapes)) {
    for (const example of shape.examples)
      t.ok(shape.validate(example), `${name} example: ${errors(name as keyof typeof shapes)}`);
  }
});

void t.test('generic: the contract JSON with the chain head and link, signed the Standard Webhooks way', async (t) => {
  const bodies = rx.generic.raw;
  t.same(
    of(bodies, released.id, (b) => b.requestId)
      .map((d) => d.json.type)
      .sort(),
    [...RELEASE_FLOW].sort(),
    'every event of the release (minimum info)',
  );
  t.same(
    of(bodies, denied.id, (b) => b.requestId)
      .map((d) => d.json.type)
      .sort(),
    ['request.created', 'request.denied'],
    'and of the denial',
  );
  const receiver = new Webhook(secret);
  for (const delivery of bodies) {
    t.ok(shapes.generic.validate(delivery.json), `${delivery.json.type}: ${errors('generic')}`);
    const headers = delivery.headers as Record<string, string>;
    t.doesNotThrow(
      () => receiver.verify(delivery.body, headers),
      `${delivery.json.type}: signature verifies with the standardwebhooks package`,
    );
    t.equal(headers['webhook-id'], headers['idempotency-key'], 'webhook-id is the idempotency key');
    t.throws(
      () => receiver.verify(delivery.body.replace(delivery.json.summary, `${delivery.json.summary}!`), headers),
      'a tampered body is refused',
    );
    t.throws(() => new Webhook(newSigningSecret()).verify(delivery.body, headers), 'another secret does not verify');
    t.equal(
      delivery.json.link,
      delivery.json.requestId ? link(delivery.json.requestId) : null,
      'console link of the request',
    );
    t.match(delivery.json, {
      actor: String,
      at: String,
      accountId: String,
      action: String,
      auditHead: { seq: Number, hash: /^[0-9a-f]{64}$/ },
    });
  }
  t.equal(new Set(bodies.map((d) => d.headers['webhook-id'])).size, bodies.length, 'one webhook-id per alert');

  const sample = bodies[0]!;
  const old = standardWebhookHeaders(
    secret,
    String(sample.headers['webhook-id']),
    new Date(Date.now() - 10 * 60_000),
    sample.body,
  );
  t.throws(
    () => receiver.verify(sample.body, old),
    /too old/i,
    'a correctly signed but 10-minute-old message is refused',
  );
  const fresh = standardWebhookHeaders(secret, String(sample.headers['webhook-id']), new Date(), sample.body);
  t.doesNotThrow(
    () => receiver.verify(sample.body, fresh),
    'the same message signed now verifies (the signer agrees with the library)',
  );

  const heads = bodies.map((d) => d.json.auditHead.hash as string);
  const verify = await h.audit.verify(h.pool, undefined, heads[heads.length - 1]);
  t.match(
    verify,
    { ok: true, checkpoint: { found: true, seq: Number } },
    'the head a generic alert carried is in the chain',
  );
});

void t.test('routing: a sink receives only events at or above its minimum severity', async (t) => {
  t.same(
    rx.siem.raw.map((d) => d.json.type).sort(),
    ['credential.released', 'credential.revealed', 'request.denied'],
    'warning minimum: warnings and criticals',
  );
  t.notOk(
    rx.siem.raw.some((d) => 'webhook-signature' in d.headers),
    'a generic sink without a secret sends unsigned',
  );
  t.same(
    rx.teams.raw.map((d) => d.json.attachments[0].content.body[0].text).sort(),
    ['Break-glass credential RELEASED', 'Break-glass credential REVEALED'],
    'critical minimum: criticals only',
  );
  t.equal(rx.slack.raw.length, RELEASE_FLOW.length + 2, 'info minimum: everything');
});

void t.test('slack: an incoming-webhook message with text, facts and a link button', async (t) => {
  for (const delivery of rx.slack.raw) t.ok(shapes.slack.validate(delivery.json), `slack body: ${errors('slack')}`);
  const releasedMessage = rx.slack.raw.find((d) => d.json.text.includes('RELEASED'));
  t.ok(releasedMessage, 'the release reached slack');
  const blocks = releasedMessage!.json.blocks as any[];
  const facts = blocks
    .find((b) => b.fields)!
    .fields.map((f: { text: string }) => f.text)
    .join('\n');
  t.match(facts, released.accountId, 'which account');
  t.match(facts, '*By*\nsystem', 'who (the service released it on the second approval)');
  t.match(facts, /\*At\*\n\d{4}-\d\d-\d\dT/, 'when');
  t.same(blocks.find((b) => b.type === 'actions').elements[0], {
    type: 'button',
    text: { type: 'plain_text', text: 'Check this use is expected' },
    url: link(released.id),
    style: 'danger',
  });
  t.match(
    releasedMessage!.json.text,
    `<${link(released.id)}|Check this use is expected>`,
    'the fallback text carries the link too',
  );
});

void t.test('teams: an Adaptive Card in the workflow webhook envelope, with an Open URL action', async (t) => {
  for (const delivery of rx.teams.raw) t.ok(shapes.teams.validate(delivery.json), `teams body: ${errors('teams')}`);
  const card = rx.teams.raw[0]!.json.attachments[0].content;
  t.same(card.actions, [{ type: 'Action.OpenUrl', title: 'Check this use is expected', url: link(released.id) }]);
  t.ok(
    card.body
      .find((b: any) => b.type === 'FactSet')
      .facts.some((f: any) => f.title === 'Account' && f.value === released.accountId),
    'names the account',
  );
});

void t.test('pagerduty: trigger for the criticals, then resolve when re-sealed, all on one dedup_key', async (t) => {
  const events = rx.pagerduty.raw.map((d) => d.json);
  for (const event of events) t.ok(shapes.pagerduty.validate(event), `pagerduty body: ${errors('pagerduty')}`);
  t.same(
    events.map((e) => [e.event_action, e.payload?.class ?? null, e.dedup_key]),
    [
      ['trigger', 'credential.released', `breakglass/${released.id}`],
      ['trigger', 'credential.revealed', `breakglass/${released.id}`],
      ['resolve', null, `breakglass/${released.id}`],
    ],
    'nothing for info or warning events; the denial never pages',
  );
  t.ok(
    events.every((e) => e.routing_key === routingKey),
    'the routing key of the sink',
  );
  t.match(events[0], {
    payload: { severity: 'critical', source: 'breakglass', component: released.accountId },
    links: [{ href: link(released.id) }],
    client_url: link(released.id),
  });
});

void t.test(
  'sink secrets (webhook tokens, routing key, signing secret) never enter workflow history or the outbox',
  async (t) => {
    for (const id of [released.id, denied.id]) {
      const history = historyText(await h.temporal.workflow.getHandle(id).fetchHistory());
      const outbox = JSON.stringify(
        (await h.pool.query('SELECT * FROM alert_outbox WHERE request_id = $1', [id])).rows,
      );
      t.ok(outbox.includes('ops-slack'), 'the search sees sink names in the alert outbox');
      for (const needle of [slackToken, teamsSig, routingKey, secret, secret.replace(/^whsec_/, ''), rx.slack.url]) {
        t.notOk(history.includes(needle), 'no sink secret in history');
        t.notOk(outbox.includes(needle), 'no sink secret in the alert outbox');
      }
    }
  },
);
