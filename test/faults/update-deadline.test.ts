import { randomUUID } from 'node:crypto';
import t from 'tap';
import { initialView } from '../../src/domain/initial-view';
import { setupApi, type ApiHarness } from '../helpers/api';
import { PEOPLE } from '../helpers/harness';
import { checkInvariants } from '../helpers/invariants';
import { eventually } from '../helpers/wait';

/**
 * Updates that the worker does not finish in time, Temporal out of reach, and repeats: a person
 * learns within seconds that the service cannot act (and that the action may still take
 * effect); a retry gets its own outcome; a repeat is a refused attempt, answered and audited.
 */

let api: ApiHarness;
t.before(async () => {
  api = await setupApi(t, { worker: false });
});

const ask = (accountId: string) => ({ accountId, scenario: 'pim_unavailable', justification: 'PIM is down' });
const auditedActions = async (requestId: string, actor: string) =>
  (
    await api.h.pool.query<{ action: string }>(
      'SELECT action FROM audit_events WHERE request_id = $1 AND actor = $2 ORDER BY seq',
      [requestId, actor],
    )
  ).rows.map((row) => row.action);

void t.test(
  'worker down during an approval: 503 that says it may still take effect, then the retry gets the outcome',
  async (t) => {
    const worker = await api.h.startWorker();
    const { account } = await api.h.createAccount();
    const created = await api.call('POST', '/v1/requests', { as: PEOPLE.requester, body: ask(account.id) });
    t.equal(created.status, 201);
    t.equal(
      (
        await api.call('POST', `/v1/requests/${created.body.id}/approvals`, {
          as: PEOPLE.approver1,
          body: { decision: 'approve' },
        })
      ).status,
      200,
    );
    await worker.stop();

    const started = Date.now();
    const pending = await api.call('POST', `/v1/requests/${created.body.id}/approvals`, {
      as: PEOPLE.approver2,
      body: { decision: 'approve' },
    });
    const ms = Date.now() - started;
    t.equal(pending.status, 503, 'answered 503, not 500');
    t.match(pending.headers.get('content-type'), /application\/problem\+json/);
    t.equal(pending.body.dependency, 'temporal', 'naming the dependency');
    t.equal(pending.body.mayStillTakeEffect, true);
    t.match(pending.body.detail, /may still take effect/);
    t.ok(ms < 10_000, `within about 10 s (took ${ms} ms)`);
    t.comment(`worker down: approval answered 503 after ${ms} ms`);

    await api.h.startWorker();
    const released = await eventually(
      'the approval to take effect once the worker is back',
      async () => {
        const view = await api.h.requests.get(api.h.pool, created.body.id);
        return view?.status === 'released' && view;
      },
      30_000,
    );
    t.same(
      released.approvals.map((approval) => approval.approver),
      [PEOPLE.approver1, PEOPLE.approver2],
    );

    const retry = await api.call('POST', `/v1/requests/${created.body.id}/approvals`, {
      as: PEOPLE.approver2,
      body: { decision: 'approve' },
    });
    t.equal(retry.status, 200, 'the same approval sent again is answered with its outcome');
    t.equal(retry.body.status, 'released');
    t.same(
      await auditedActions(created.body.id, PEOPLE.approver2),
      ['request.approved'],
      'recorded once, and the retry is not a refusal',
    );
    const repeat = await api.call('POST', `/v1/requests/${created.body.id}/approvals`, {
      as: PEOPLE.approver2,
      body: { decision: 'approve' },
    });
    t.equal(repeat.status, 409, 'once answered, a further repeat is a refused attempt');
    t.same(await auditedActions(created.body.id, PEOPLE.approver2), ['request.approved', 'request.approve.refused']);
    await checkInvariants(t, api.h, created.body.id);
  },
);

void t.test('identical approvals sent at once: one is recorded, every repeat is refused and audited', async (t) => {
  const { account } = await api.h.createAccount();
  const created = await api.call('POST', '/v1/requests', { as: PEOPLE.requester, body: ask(account.id) });
  const answers = await Promise.all(
    Array.from({ length: 5 }, () =>
      api.call('POST', `/v1/requests/${created.body.id}/approvals`, {
        as: PEOPLE.approver1,
        body: { decision: 'approve' },
      }),
    ),
  );
  t.same(answers.map((answer) => answer.status).sort(), [200, 409, 409, 409, 409]);
  for (const refused of answers.filter((answer) => answer.status === 409))
    t.match(refused.body.detail, /already decided/);
  const actions = await auditedActions(created.body.id, PEOPLE.approver1);
  t.equal(actions.filter((action) => action === 'request.approved').length, 1, 'one approval in the trail');
  t.equal(
    actions.filter((action) => action === 'request.approve.refused').length,
    4,
    'four refused attempts in the trail',
  );
  await checkInvariants(t, api.h, created.body.id);
});

void t.test(
  'an approve and a deny sent at once by one approver: each caller gets the answer to what it sent',
  async (t) => {
    for (let round = 0; round < 3; round += 1) {
      const { account } = await api.h.createAccount();
      const created = await api.call('POST', '/v1/requests', { as: PEOPLE.requester, body: ask(account.id) });
      const [approve, deny] = await Promise.all(
        (['approve', 'deny'] as const).map((decision) =>
          api.call('POST', `/v1/requests/${created.body.id}/approvals`, { as: PEOPLE.approver1, body: { decision } }),
        ),
      );
      t.same([approve!.status, deny!.status].sort(), [200, 409], 'one decision wins');
      const [winner, sent] = approve!.status === 200 ? [approve!, 'approve'] : [deny!, 'deny'];
      t.same(
        winner.body.approvals.map((a: { approver: string; decision: string }) => [a.approver, a.decision]),
        [[PEOPLE.approver1, sent]],
        'the winner is answered with its own decision',
      );
      const loser = approve!.status === 200 ? deny! : approve!;
      t.match(loser.body.detail, /already decided|denied/, 'the other is told it was refused');
      await checkInvariants(t, api.h, created.body.id);
    }
  },
);

void t.test('Temporal out of reach: approve, reveal and cancel answer 503 within about 10 s', async (t) => {
  const down = await setupApi(t, { worker: false, env: { TEMPORAL_ADDRESS: '127.0.0.1:1' } });
  const { account } = await down.h.createAccount();
  const base = initialView({
    requestId: randomUUID(),
    accountId: account.id,
    secretName: account.secretName,
    requester: PEOPLE.requester,
    scenario: 'mfa_outage',
    justification: 'Temporal down',
    incidentRef: null,
    createdAt: new Date().toISOString(),
    policy: account.policy,
    membership: account,
  });
  await down.h.requests.insertPending(down.h.pool, { ...base, version: 1 });
  const calls = [
    ['approve', `/v1/requests/${base.id}/approvals`, PEOPLE.approver1, { decision: 'approve' }],
    ['cancel', `/v1/requests/${base.id}/cancel`, PEOPLE.requester, {}],
  ] as const;
  for (const [name, path, as, body] of calls) {
    const started = Date.now();
    const answer = await down.call('POST', path, { as, body });
    const ms = Date.now() - started;
    t.equal(answer.status, 503, `${name}: 503`);
    t.equal(answer.body.dependency, 'temporal', `${name}: names Temporal`);
    t.ok(ms < 10_500, `${name}: within about 10 s (took ${ms} ms)`);
    t.comment(`Temporal unreachable: ${name} answered 503 after ${ms} ms`);
  }
  const { account: other } = await down.h.createAccount();
  const released = {
    ...base,
    id: randomUUID(),
    accountId: other.id,
    status: 'released' as const,
    version: 3,
    releasedAt: new Date().toISOString(),
    releaseExpiresAt: new Date(Date.now() + 600_000).toISOString(),
  };
  await down.h.requests.insertPending(down.h.pool, released);
  const started = Date.now();
  const reveal = await down.call('POST', `/v1/requests/${released.id}/reveal`, { as: PEOPLE.requester });
  const ms = Date.now() - started;
  t.equal(reveal.status, 503, 'reveal: 503');
  t.equal(reveal.body.dependency, 'temporal');
  t.ok(ms < 10_500, `reveal: within about 10 s (took ${ms} ms)`);
  t.comment(`Temporal unreachable: reveal answered 503 after ${ms} ms`);
});
