import { randomUUID } from 'node:crypto';
import t from 'tap';
import { initialView } from '../../src/domain/initial-view';
import { spawnApi, type ApiProcess } from '../helpers/api-process';
import { PEOPLE, setupHarness, type Harness } from '../helpers/harness';
import { checkInvariants } from '../helpers/invariants';

/**
 * The API killed (SIGKILL) at any moment of POST /v1/requests never locks the account: the
 * workflow writes the request's first row itself, so a crash leaves a whole request (which
 * can be cancelled) or none, and a retry with the same Idempotency-Key answers with it.
 */

let h: Harness;
let api: ApiProcess;
t.before(async () => {
  h = await setupHarness(t);
  api = await spawnApi(t, h);
});

const ask = { scenario: 'conditional_access_lockout', justification: 'CA policy blocks all admins' };

/** What the account holds open: the read model's open request, if any. */
const openRequest = async (accountId: string) =>
  (
    await h.pool.query<{ id: string }>(
      `SELECT id FROM requests WHERE account_id = $1 AND status IN ('pending_approval', 'released')`,
      [accountId],
    )
  ).rows[0]?.id ?? null;

void t.test('killed mid-create with an Idempotency-Key: the retry answers with the one request, quickly', async (t) => {
  const { account } = await h.createAccount();
  // Kill points spread over the create: before the claim, between claim and start, while the workflow records.
  for (const delayMs of [0, 20, 60, 150]) {
    const key = `kill-${delayMs}-${randomUUID()}`;
    const body = { accountId: account.id, ...ask, incidentRef: `INC-${delayMs}` };
    const first = api
      .call('POST', '/v1/requests', { as: PEOPLE.requester, body, headers: { 'idempotency-key': key } })
      .catch(() => null);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    await api.kill('SIGKILL');
    await first;
    await api.restart();

    const retry = await api.call('POST', '/v1/requests', {
      as: PEOPLE.requester,
      body,
      headers: { 'idempotency-key': key },
    });
    t.equal(retry.status, 201, `killed after ${delayMs} ms: the retry creates or finds the request`);
    t.ok(
      retry.ms < 5_000,
      `killed after ${delayMs} ms: answered in ${retry.ms} ms, not after a wait for a dead holder`,
    );
    const again = await api.call('POST', '/v1/requests', {
      as: PEOPLE.requester,
      body,
      headers: { 'idempotency-key': key },
    });
    t.equal(again.body.id, retry.body.id, 'every retry with the key answers the same request');
    t.equal(await openRequest(account.id), retry.body.id, 'the account holds exactly that request open');
    await checkInvariants(t, h, retry.body.id);

    const cancelled = await api.call('POST', `/v1/requests/${retry.body.id}/cancel`, {
      as: PEOPLE.requester,
      body: { reason: 'round done' },
    });
    t.equal(cancelled.status, 200, 'and it can be cancelled, freeing the account');
  }
});

void t.test('killed mid-create without a key: the account is never left locked', async (t) => {
  const { account } = await h.createAccount();
  for (const delayMs of [10, 60]) {
    const first = api
      .call('POST', '/v1/requests', { as: PEOPLE.requester, body: { accountId: account.id, ...ask } })
      .catch(() => null);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    await api.kill('SIGKILL');
    await first;
    await api.restart();

    const next = await api.call('POST', '/v1/requests', {
      as: PEOPLE.requester,
      body: { accountId: account.id, ...ask },
    });
    if (next.status === 409) {
      // The killed attempt did create its request: it is named, real, and can be cancelled.
      const blocking = await openRequest(account.id);
      t.ok(
        blocking && next.body.detail.includes(blocking),
        `killed after ${delayMs} ms: the refusal names the open request`,
      );
      t.equal(
        (await api.call('POST', `/v1/requests/${blocking}/cancel`, { as: PEOPLE.requester, body: {} })).status,
        200,
        'which can be cancelled',
      );
      const retried = await api.call('POST', '/v1/requests', {
        as: PEOPLE.requester,
        body: { accountId: account.id, ...ask },
      });
      t.equal(retried.status, 201, 'and then a new request is created');
      await api.call('POST', `/v1/requests/${retried.body.id}/cancel`, { as: PEOPLE.requester, body: {} });
    } else {
      t.equal(next.status, 201, `killed after ${delayMs} ms: a new request is created`);
      await checkInvariants(t, h, next.body.id);
      await api.call('POST', `/v1/requests/${next.body.id}/cancel`, { as: PEOPLE.requester, body: {} });
    }
  }
});

void t.test(
  'a first row left by the first version of the API (crashed before its workflow started) is cleared',
  async (t) => {
    const { account } = await h.createAccount();
    const orphan = initialView({
      requestId: randomUUID(),
      accountId: account.id,
      secretName: account.secretName,
      requester: PEOPLE.requester,
      scenario: 'mfa_outage',
      justification: 'left behind by a crash',
      incidentRef: null,
      createdAt: new Date(Date.now() - 3 * 60_000).toISOString(),
      policy: account.policy,
      membership: account,
    });
    await h.requests.insertPending(h.pool, orphan);
    const created = await api.call('POST', '/v1/requests', {
      as: PEOPLE.requester,
      body: { accountId: account.id, ...ask },
    });
    t.equal(created.status, 201, 'a create is not refused because of a row whose workflow never started');
    t.equal(await h.requests.get(h.pool, orphan.id), null, 'the abandoned row is gone');

    // A young version-0 row may still be starting its workflow (first-version API): it keeps the account busy.
    const { account: other } = await h.createAccount();
    const young = { ...orphan, id: randomUUID(), accountId: other.id, createdAt: new Date().toISOString() };
    await h.requests.insertPending(h.pool, young);
    const refused = await api.call('POST', '/v1/requests', {
      as: PEOPLE.requester,
      body: { accountId: other.id, ...ask },
    });
    t.equal(refused.status, 409, 'a row that may still be starting keeps the account busy');
  },
);

void t.test('a claim left without a request id by the first version of the API is taken over at once', async (t) => {
  const { account } = await h.createAccount();
  const body = { accountId: account.id, ...ask };
  const key = `legacy-${randomUUID()}`;
  const { createHash } = await import('node:crypto');
  const bodyHash = createHash('sha256')
    .update(JSON.stringify({ ...body, incidentRef: null }))
    .digest('hex');
  await h.pool.query(`INSERT INTO idempotency_keys (principal, key, body_hash, request_id) VALUES ($1, $2, $3, NULL)`, [
    PEOPLE.requester,
    key,
    bodyHash,
  ]);
  const retry = await api.call('POST', '/v1/requests', {
    as: PEOPLE.requester,
    body,
    headers: { 'idempotency-key': key },
  });
  t.equal(retry.status, 201, 'the retry creates the request');
  t.ok(retry.ms < 5_000, `in ${retry.ms} ms`);
  const again = await api.call('POST', '/v1/requests', {
    as: PEOPLE.requester,
    body,
    headers: { 'idempotency-key': key },
  });
  t.equal(again.body.id, retry.body.id, 'and the key now names it');
  const other = await api.call('POST', '/v1/requests', {
    as: PEOPLE.requester,
    body: { ...body, justification: 'different' },
    headers: { 'idempotency-key': key },
  });
  t.equal(other.status, 422, 'the key used with another body is refused');
});
