import t from 'tap';
import { setupApi, type ApiHarness } from '../../helpers/api';
import { PEOPLE } from '../../helpers/harness';
import { confirmedPasskey, PASSKEY_ENV, signIn } from '../../helpers/passkeys';
import type { SoftAuthenticator } from '../../helpers/authenticator';

/**
 * The emergency this issue exists for: Entra is down. Passkeys were enrolled and confirmed
 * beforehand (through an API instance whose issuer worked); then a second API instance, whose
 * issuer's JWKS is unreachable from the moment it starts, carries a whole lifecycle from request
 * to completed review for people signed in only with passkeys, including a step-up reveal.
 * Afterwards, no session token, challenge, private key or credential value is in any log,
 * audit row, database row or Temporal history.
 */

const ADMIN = ['BreakGlass.Admin'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let before: ApiHarness;
let during: ApiHarness;
const people: Record<string, SoftAuthenticator> = {};
const secrets: string[] = [];

t.before(async () => {
  before = await setupApi(t, { env: PASSKEY_ENV });
  for (const person of [PEOPLE.requester, PEOPLE.approver1, PEOPLE.approver2, PEOPLE.reviewer])
    people[person] = await confirmedPasskey(before, person);
  during = await setupApi(t, { harness: before.h, env: { ...PASSKEY_ENV, AUTH_JWKS_URL: 'http://127.0.0.1:1/jwks' } });
});

/** A passkey sign-in on the instance without an issuer; remembers the token and challenge for the leak search. */
async function session(person: string): Promise<string> {
  const { res, options } = await signIn(during, people[person]!);
  if (res.status !== 201) throw new Error(`sign-in ${person}: ${res.status} ${res.text}`);
  secrets.push(res.body.token, options.challenge);
  return res.body.token;
}

function historyText(history: unknown): string {
  return JSON.stringify(history, (key, value: unknown) => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    if (key === 'data' && typeof value === 'string') return `${value} ${Buffer.from(value, 'base64').toString('utf8')}`;
    return value;
  });
}

void t.test(
  'request to completed review, signed in only with passkeys, the issuer unreachable throughout',
  async (t) => {
    const { account, secretValue } = await before.h.createAccount({
      policy: { releaseWindow: 'PT2M', reviewDue: 'PT10M', reviewReminder: 'PT10M', revealRequiresPasskey: 'PT5M' },
    });
    secrets.push(secretValue);

    const jwt = await during.call('GET', '/v1/requests', { as: PEOPLE.requester });
    t.equal(jwt.status, 503, 'issuer tokens cannot be checked on this instance: 503');
    const ready = await during.call('GET', '/readyz');
    t.equal(ready.status, 200, '/readyz stays ready: passkeys are another way in');
    t.equal(ready.body.identity.issuers[0].state, 'down', 'and reports the issuer down');
    t.equal(ready.body.identity.passkeys, 'enabled');

    const alice = await session(PEOPLE.requester);
    const created = await during.call('POST', '/v1/requests', {
      token: alice,
      body: {
        accountId: account.id,
        scenario: 'conditional_access_lockout',
        justification: 'CA policy blocks every admin; Entra sign-in refused',
      },
    });
    t.equal(created.status, 201, 'the requester creates the request');
    const id = created.body.id as string;
    t.equal(
      (
        await during.call('POST', `/v1/requests/${id}/approvals`, {
          token: await session(PEOPLE.approver1),
          body: { decision: 'approve' },
        })
      ).body.status,
      'pending_approval',
    );
    const released = await during.call('POST', `/v1/requests/${id}/approvals`, {
      token: await session(PEOPLE.approver2),
      body: { decision: 'approve' },
    });
    t.equal(released.body.status, 'released', 'two approvers by passkey release it');

    // Step-up: an issuer token (on the instance whose issuer works) is not enough for this account.
    const byJwt = await before.call('POST', `/v1/requests/${id}/reveal`, { as: PEOPLE.requester });
    t.equal(byJwt.status, 403, 'reveal refused without a passkey session');
    t.match(
      byJwt.body.detail,
      /requires a passkey sign-in within the last PT5M.*POST \/v1\/sessions\/passkey/,
      'the refusal says what to do',
    );

    // Tighten the account mid-flight (the stricter policy applies): the same session grows stale.
    const tightened = await before.call('PATCH', `/v1/accounts/${account.id}`, {
      as: PEOPLE.admin,
      roles: ADMIN,
      body: { policy: { ...account.policy, releaseWindow: 'PT2M', revealRequiresPasskey: 'PT2S' } },
    });
    t.equal(tightened.status, 200);
    t.equal(tightened.body.policy.revealRequiresPasskey, 'PT2S');
    await sleep(2_200);
    const stale = await during.call('POST', `/v1/requests/${id}/reveal`, { token: alice });
    t.equal(stale.status, 403, 'a passkey session older than the freshness is refused');
    const fresh = await during.call('POST', `/v1/requests/${id}/reveal`, { token: await session(PEOPLE.requester) });
    t.equal(fresh.status, 200, 'a fresh passkey sign-in reveals');
    t.equal(fresh.body.value, secretValue);

    const closed = await during.call('POST', `/v1/requests/${id}/close`, {
      token: alice,
      body: { summary: 'removed the bad CA policy' },
    });
    t.equal(closed.body.status, 'awaiting_review');
    const review = await during.call('POST', `/v1/requests/${id}/review`, {
      token: await session(PEOPLE.reviewer),
      body: {
        actionsAppropriate: true,
        signInLogsReviewed: true,
        credentialRotated: true,
        findings: 'only the CA policy changed',
        followUpTicket: 'CHG-1',
      },
    });
    t.equal(review.status, 200);
    t.equal(review.body.status, 'completed', 'completed review, all by passkey');

    const refusals = (await before.h.audit.list(before.h.pool, { requestId: id, limit: 1000 })).filter(
      (event) => event.action === 'credential.reveal.refused',
    );
    t.equal(refusals.length, 2, 'both step-up refusals audited');

    // Nothing secret anywhere: logs, every table, every workflow history of this test's task queue.
    for (const authenticator of Object.values(people)) secrets.push(...authenticator.secrets());
    const logs = before.logs.join('') + during.logs.join('');
    const { rows: tables } = await before.h.pool.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
      [before.h.schema],
    );
    let dump = '';
    for (const { table_name } of tables)
      dump += JSON.stringify((await before.h.pool.query(`SELECT * FROM ${before.h.schema}.${table_name}`)).rows);
    t.ok(dump.includes(id) && dump.includes('passkey.enrolled'), 'the dump sees audit rows');
    let histories = '';
    for await (const workflow of before.h.temporal.workflow.list({ query: `TaskQueue = "${before.h.taskQueue}"` })) {
      histories += historyText(await before.h.temporal.workflow.getHandle(workflow.workflowId).fetchHistory());
    }
    t.ok(
      histories.includes(id) && histories.includes('passkey.enrolled'),
      'the search sees the request and passkey alert histories',
    );
    t.ok(secrets.length > 10, 'searched for tokens, challenges, private keys and the credential');
    const leaks = secrets.filter(
      (secret) => logs.includes(secret) || dump.includes(secret) || histories.includes(secret),
    );
    t.same(
      leaks.map((secret) => secret.slice(0, 8)),
      [],
      'no secret in logs, PostgreSQL or Temporal history',
    );
  },
);
