import t, { type Test } from 'tap';
import { setupApi, type ApiHarness } from '../../helpers/api';
import { PEOPLE } from '../../helpers/harness';
import { eventually } from '../../helpers/wait';

/**
 * Bad input over real HTTP: every malformed body, query or header is answered 400 (413, 415,
 * 422 where the protocol says so) as problem+json naming the failing field paths, and leaves
 * nothing behind: no request, account, audit row, idempotency key or sealed secret. Plus the
 * races: one Idempotency-Key sent twice at once makes one request, and one approver's
 * concurrent approvals count once.
 */

const ADMIN = ['BreakGlass.Admin'];
const LONG_POLICY = { approvalTimeout: 'PT1H', releaseWindow: 'PT10M', reviewDue: 'PT1H', reviewReminder: 'PT1H' };
const STACK = /\n\s+at |node_modules|\.ts:\d+|\.js:\d+|"stack"/;

let api: ApiHarness;
t.before(async () => {
  api = await setupApi(t);
});

interface Snapshot {
  requests: number;
  accounts: number;
  audit: number;
  idempotencyKeys: number;
}

async function snapshot(): Promise<Snapshot> {
  const requests = await api.h.requests.list(api.h.pool, { visibleTo: null, limit: 100 });
  const accounts = await api.h.accounts.list(api.h.pool);
  const audit = await api.h.audit.list(api.h.pool, { limit: 100_000 });
  const { rows } = await api.h.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM idempotency_keys');
  return { requests: requests.length, accounts: accounts.length, audit: audit.length, idempotencyKeys: rows[0]!.n };
}

/** Counts once background work (workflow projections, audit appends) has gone quiet. */
async function settled(): Promise<Snapshot> {
  let last = await snapshot();
  return eventually('a quiet database', async () => {
    await new Promise((resolve) => setTimeout(resolve, 400));
    const next = await snapshot();
    const same = JSON.stringify(next) === JSON.stringify(last);
    last = next;
    return same && next;
  });
}

async function leavesNothing(t: Test, work: () => Promise<void>) {
  const before = await settled();
  await work();
  const after = await settled();
  t.same(after, before, 'nothing was left behind (requests, accounts, audit rows, idempotency keys)');
}

type Response = Awaited<ReturnType<ApiHarness['call']>>;

/** A problem+json answer with `status`; for 400s, `errors[]` that name each of `paths`. */
function problem(t: Test, res: Response, status: number, paths: string[], label: string) {
  t.equal(res.status, status, `${label}: ${status}${res.status !== status ? ` (got ${res.text.slice(0, 300)})` : ''}`);
  t.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, `${label}: problem+json`);
  t.equal(res.body?.status, status, `${label}: problem status`);
  t.type(res.body?.title, 'string', `${label}: problem title`);
  t.type(res.body?.detail, 'string', `${label}: problem detail`);
  t.notMatch(res.text, STACK, `${label}: no stack trace`);
  if (paths.length) {
    const errors = (res.body?.errors ?? []) as Array<{ path: unknown; message: unknown }>;
    t.ok(Array.isArray(res.body?.errors) && errors.length > 0, `${label}: errors[] present`);
    t.ok(
      errors.every((e) => typeof e.path === 'string' && typeof e.message === 'string' && e.message.length > 0),
      `${label}: each error has a path and a message`,
    );
    const found = errors.map((e) => e.path);
    for (const path of paths) t.ok(found.includes(path), `${label}: names ${path} (named: ${found.join(', ')})`);
  }
}

/** A raw request: for content types and bodies that api.call would rewrite. */
async function raw(
  method: string,
  path: string,
  init: { as: string; roles?: string[]; headers?: Record<string, string>; body?: string | Buffer },
) {
  const token = await api.token(init.as, init.roles);
  const response = await fetch(`${api.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...init.headers },
    body: init.body,
  });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: response.status, headers: response.headers, body, text };
}

async function newAccount() {
  const { account } = await api.h.createAccount({ policy: LONG_POLICY });
  return account;
}

void t.test('POST /v1/requests: bad bodies give 400 with field paths and create nothing', async (t) => {
  const account = await newAccount();
  const create = (body: unknown) => api.call('POST', '/v1/requests', { as: PEOPLE.requester, body });
  const good = { accountId: account.id, scenario: 'drill', justification: 'bad input suite' };

  await leavesNothing(t, async () => {
    problem(t, await create({}), 400, ['body.accountId', 'body.scenario', 'body.justification'], 'missing fields');
    problem(
      t,
      await create({ scenario: 'drill' }),
      400,
      ['body.accountId', 'body.justification'],
      'missing accountId and justification',
    );
    problem(
      t,
      await create({ accountId: 123, scenario: true, justification: ['x'], incidentRef: 5 }),
      400,
      ['body.accountId', 'body.scenario', 'body.justification', 'body.incidentRef'],
      'wrong types',
    );
    problem(t, await create({ ...good, scenario: 'zombie_apocalypse' }), 400, ['body.scenario'], 'unknown scenario');
    problem(t, await create({ ...good, scenario: 'DRILL' }), 400, ['body.scenario'], 'scenario in the wrong case');
    problem(
      t,
      await create({ ...good, justification: 'x'.repeat(2001) }),
      400,
      ['body.justification'],
      'justification of 2001 characters',
    );
    problem(t, await create({ ...good, justification: '   ' }), 400, ['body.justification'], 'blank justification');
    problem(
      t,
      await create({ ...good, justification: 'bell \u0007 in text' }),
      400,
      ['body.justification'],
      'control character in justification',
    );
    problem(
      t,
      await create({ ...good, incidentRef: 'I'.repeat(101) }),
      400,
      ['body.incidentRef'],
      'incidentRef of 101 characters',
    );
    problem(t, await create({ ...good, accountId: 'Not An Id!' }), 400, ['body.accountId'], 'malformed accountId');
    const extra = await create({ ...good, extra: 1, status: 'released' });
    problem(t, extra, 400, ['body.extra', 'body.status'], 'extra properties');
    problem(t, await create({ ...good, requester: PEOPLE.approver1 }), 400, ['body.requester'], 'a smuggled requester');
    problem(t, await create([good]), 400, ['body'], 'an array body');
    problem(t, await create('just a string'), 400, ['body'], 'a JSON string body');
    problem(t, await create(null), 400, ['body'], 'a JSON null body');

    const rawCreate = (headers: Record<string, string>, body?: string | Buffer) =>
      raw('POST', '/v1/requests', { as: PEOPLE.requester, headers, body });
    problem(
      t,
      await rawCreate({ 'content-type': 'application/json' }, '{"accountId": "x", '),
      400,
      ['body'],
      'non-JSON body',
    );
    problem(
      t,
      await rawCreate({ 'content-type': 'application/json' }, ''),
      400,
      ['body'],
      'empty body declared as JSON',
    );
    problem(t, await rawCreate({}, undefined), 400, ['body'], 'no body at all');
    problem(
      t,
      await rawCreate(
        { 'content-type': 'application/json' },
        `{"accountId":"${account.id}","scenario":"drill","justification":"x","__proto__":{"isAdmin":true}}`,
      ),
      400,
      ['body'],
      'prototype poisoning',
    );
    const form = await rawCreate(
      { 'content-type': 'application/x-www-form-urlencoded' },
      `accountId=${account.id}&scenario=drill&justification=x`,
    );
    problem(t, form, 415, ['body'], 'form-encoded body');
    const text = await rawCreate({ 'content-type': 'text/plain' }, JSON.stringify(good));
    t.ok([400, 415].includes(text.status), `text/plain body: 400 or 415 (got ${text.status})`);
    problem(t, text, text.status, ['body'], 'text/plain body');
    const big = await rawCreate(
      { 'content-type': 'application/json' },
      JSON.stringify({ ...good, justification: 'x'.repeat(70 * 1024) }),
    );
    problem(t, big, 413, [], 'body over 64 KiB');
    problem(
      t,
      await rawCreate({ 'content-type': 'application/json' }, Buffer.alloc(65 * 1024, 0x20)),
      413,
      [],
      'whitespace padding over 64 KiB',
    );
  });

  // The limits are exactly where the contract puts them: 2000 and 100 characters are accepted.
  const boundary = await create({ ...good, justification: 'j'.repeat(2000), incidentRef: 'I'.repeat(100) });
  t.equal(boundary.status, 201, 'justification of 2000 and incidentRef of 100 characters are accepted');
  t.equal(
    (await api.call('POST', `/v1/requests/${boundary.body.id}/cancel`, { as: PEOPLE.requester, body: {} })).status,
    200,
    'cancelled again',
  );
});

void t.test('POST /v1/accounts: bad bodies give 400 with field paths and register nothing', async (t) => {
  const n = api.h.id;
  const secretName = `bg-bad-input-${n}`;
  await api.h.secrets.setSecret(secretName, `Bad-input-${n}`);
  const good = {
    id: `bad-input-${n}`,
    displayName: 'Bad input account',
    upn: `bad-input-${n}@contoso.onmicrosoft.com`,
    secretName,
    requesters: [PEOPLE.requester],
    approvers: [PEOPLE.approver1, PEOPLE.approver2],
    reviewers: [PEOPLE.reviewer],
    policy: {
      requiredApprovals: 2,
      approvalTimeout: 'PT30M',
      releaseWindow: 'PT1H',
      reviewDue: 'PT72H',
      reviewReminder: 'PT24H',
    },
  };
  const register = (body: unknown) => api.call('POST', '/v1/accounts', { as: PEOPLE.admin, roles: ADMIN, body });
  const withPolicy = (policy: Record<string, unknown>) => ({ ...good, policy: { ...good.policy, ...policy } });

  await leavesNothing(t, async () => {
    for (const id of ['Bad Id', 'A', '-leading-hyphen', 'x'.repeat(64), 'under_score', '']) {
      problem(
        t,
        await register({ ...good, id }),
        400,
        ['body.id'],
        `account id ${JSON.stringify(id.length > 20 ? `${id.slice(0, 8)}…(${id.length})` : id)}`,
      );
    }
    problem(
      t,
      await register({ ...good, approvers: [PEOPLE.requester, PEOPLE.approver1, PEOPLE.approver2] }),
      400,
      ['body.approvers.0'],
      'the requester is also an approver',
    );
    problem(
      t,
      await register({ ...good, reviewers: [PEOPLE.reviewer, PEOPLE.requester] }),
      400,
      ['body.reviewers.1'],
      'the requester is also a reviewer',
    );
    problem(
      t,
      await register({ ...good, approvers: [PEOPLE.approver1] }),
      400,
      ['body.approvers'],
      'fewer approvers than requiredApprovals (default 2)',
    );
    problem(
      t,
      await register(withPolicy({ requiredApprovals: 3 })),
      400,
      ['body.approvers'],
      'fewer approvers than requiredApprovals 3',
    );
    problem(
      t,
      await register({ ...good, approvers: [PEOPLE.approver1, PEOPLE.approver1] }),
      400,
      ['body.approvers'],
      'a repeated approver',
    );
    problem(t, await register({ ...good, approvers: [] }), 400, ['body.approvers'], 'no approvers');
    problem(
      t,
      await register(withPolicy({ releaseWindow: 'PT9H' })),
      400,
      ['body.policy.releaseWindow'],
      'releaseWindow PT9H (over 8 hours)',
    );
    problem(
      t,
      await register(withPolicy({ releaseWindow: 'PT8H1S' })),
      400,
      ['body.policy.releaseWindow'],
      'releaseWindow PT8H1S',
    );
    problem(
      t,
      await register(withPolicy({ approvalTimeout: 'P1M' })),
      400,
      ['body.policy.approvalTimeout'],
      'approvalTimeout P1M (months)',
    );
    problem(t, await register(withPolicy({ reviewDue: 'abc' })), 400, ['body.policy.reviewDue'], "reviewDue 'abc'");
    problem(
      t,
      await register(withPolicy({ reviewReminder: 'PT0S' })),
      400,
      ['body.policy.reviewReminder'],
      'reviewReminder PT0S',
    );
    problem(
      t,
      await register(withPolicy({ approvalTimeout: 30 })),
      400,
      ['body.policy.approvalTimeout'],
      'a duration as a number',
    );
    problem(
      t,
      await register(withPolicy({ requiredApprovals: 0 })),
      400,
      ['body.policy.requiredApprovals'],
      'requiredApprovals 0',
    );
    problem(
      t,
      await register(withPolicy({ requiredApprovals: 1.5 })),
      400,
      ['body.policy.requiredApprovals'],
      'requiredApprovals 1.5',
    );
    problem(
      t,
      await register(withPolicy({ requiredApprovals: '2' })),
      400,
      ['body.policy.requiredApprovals'],
      "requiredApprovals '2'",
    );
    problem(t, await register({ ...good, isAdmin: true }), 400, ['body.isAdmin'], 'an extra top-level property');
    problem(
      t,
      await register(withPolicy({ autoApprove: true })),
      400,
      ['body.policy.autoApprove'],
      'an extra policy property',
    );
    problem(
      t,
      await register({ ...good, requesters: ['has space'] }),
      400,
      ['body.requesters.0'],
      'a principal id with a space',
    );
    problem(t, await register({ ...good, upn: 'not-a-upn' }), 400, ['body.upn'], 'a malformed upn');
    problem(
      t,
      await register({ ...good, secretName: 'bad/secret' }),
      400,
      ['body.secretName'],
      'a malformed secret name',
    );
    const { id: _id, ...noId } = good;
    problem(t, await register(noId), 400, ['body.id'], 'missing id');

    // Valid shape, but the secret is not in Key Vault: 409 and nothing registered.
    const missing = await register({ ...good, id: `bad-input-missing-${n}`, secretName: `bg-no-such-secret-${n}` });
    problem(t, missing, 409, [], 'a secret that does not exist in Key Vault');
    t.match(missing.body.detail, /secret/i, 'the problem says the secret is missing');
  });
  t.equal(
    await api.h.accounts.get(api.h.pool, `bad-input-missing-${n}`),
    null,
    'the account with the missing secret is not registered',
  );
  const secret = await api.h.secrets.getSecret(secretName);
  t.equal(secret.properties.enabled, true, 'the secret of the refused bodies was not sealed (no Key Vault change)');

  // The same body with nothing wrong is accepted: the 400s above were the fields named.
  const ok = await register(good);
  t.equal(ok.status, 201, 'the good body registers');
  t.equal(await api.h.accounts.get(api.h.pool, `bad-input-${n}`).then((a) => a?.id), `bad-input-${n}`);
});

void t.test('approvals and reviews: bad bodies give 400 and change nothing', async (t) => {
  const account = await newAccount();
  const created = await api.call('POST', '/v1/requests', {
    as: PEOPLE.requester,
    body: { accountId: account.id, scenario: 'drill', justification: 'bad decisions' },
  });
  t.equal(created.status, 201);
  const id = created.body.id as string;
  const decide = (body: unknown) => api.call('POST', `/v1/requests/${id}/approvals`, { as: PEOPLE.approver1, body });
  const review = (body: unknown) => api.call('POST', `/v1/requests/${id}/review`, { as: PEOPLE.reviewer, body });
  const fullReview = {
    actionsAppropriate: true,
    signInLogsReviewed: true,
    credentialRotated: true,
    findings: 'f',
    followUpTicket: 'T-1',
  };

  await leavesNothing(t, async () => {
    problem(t, await decide({ decision: 'maybe' }), 400, ['body.decision'], "decision 'maybe'");
    problem(t, await decide({ decision: 'APPROVE' }), 400, ['body.decision'], "decision 'APPROVE'");
    problem(t, await decide({}), 400, ['body.decision'], 'no decision');
    problem(t, await decide({ decision: true }), 400, ['body.decision'], 'decision true');
    problem(
      t,
      await decide({ decision: 'approve', comment: 'c'.repeat(1001) }),
      400,
      ['body.comment'],
      'comment of 1001 characters',
    );
    problem(
      t,
      await decide({ decision: 'approve', approver: PEOPLE.approver2 }),
      400,
      ['body.approver'],
      'a smuggled approver',
    );
    const { actionsAppropriate: _a, signInLogsReviewed: _s, credentialRotated: _c, ...noBooleans } = fullReview;
    problem(
      t,
      await review(noBooleans),
      400,
      ['body.actionsAppropriate', 'body.signInLogsReviewed', 'body.credentialRotated'],
      'review without its booleans',
    );
    problem(
      t,
      await review({ ...fullReview, credentialRotated: 'yes' }),
      400,
      ['body.credentialRotated'],
      "credentialRotated 'yes'",
    );
    problem(t, await review({ ...fullReview, findings: '' }), 400, ['body.findings'], 'empty findings');
    problem(
      t,
      await review({ ...fullReview, followUpTicket: 'T'.repeat(101) }),
      400,
      ['body.followUpTicket'],
      'followUpTicket of 101 characters',
    );
    problem(
      t,
      await api.call('POST', `/v1/requests/${id}/close`, { as: PEOPLE.requester, body: {} }),
      400,
      ['body.summary'],
      'close without summary',
    );
    problem(
      t,
      await api.call('POST', `/v1/requests/${id}/cancel`, { as: PEOPLE.requester, body: { reason: 7 } }),
      400,
      ['body.reason'],
      'cancel with a numeric reason',
    );
  });
  const view = await api.h.requests.get(api.h.pool, id);
  t.equal(view?.status, 'pending_approval', 'the request is still pending');
  t.same(view?.approvals, [], 'with no decisions');
});

void t.test('GET /v1/requests and /v1/audit: bad queries give 400 naming the parameter', async (t) => {
  const list = (query: string) => api.call('GET', `/v1/requests?${query}`, { as: PEOPLE.requester });
  await leavesNothing(t, async () => {
    problem(t, await list('limit=0'), 400, ['querystring.limit'], 'limit=0');
    problem(t, await list('limit=1000'), 400, ['querystring.limit'], 'limit=1000');
    problem(t, await list('limit=abc'), 400, ['querystring.limit'], 'limit=abc');
    problem(t, await list('limit=2.5'), 400, ['querystring.limit'], 'limit=2.5');
    problem(t, await list('status=bogus'), 400, ['querystring.status'], 'status=bogus');
    problem(t, await list('accountId=NOT%20AN%20ID'), 400, ['querystring.accountId'], 'a malformed accountId');
    problem(t, await list('sort=asc'), 400, ['querystring.sort'], 'an unknown parameter');
    problem(t, await list('cursor=not-a-cursor'), 400, ['querystring.cursor'], 'a garbage cursor');
    const forged = Buffer.from(JSON.stringify({ c: 'yesterday', i: "x' OR 1=1 --" })).toString('base64url');
    problem(t, await list(`cursor=${forged}`), 400, ['querystring.cursor'], 'a forged cursor with a bad position');
    const extraField = Buffer.from(JSON.stringify({ c: new Date().toISOString(), i: 'x', visibleTo: null })).toString(
      'base64url',
    );
    const withExtra = await list(`cursor=${extraField}`);
    t.ok(
      [200, 400].includes(withExtra.status),
      `a forged cursor with an extra field: 200 or 400, never more (got ${withExtra.status})`,
    );
    problem(t, await list(`cursor=${'A'.repeat(201)}`), 400, ['querystring.cursor'], 'an overlong cursor');
    const audit = (query: string) =>
      api.call('GET', `/v1/audit?${query}`, { as: 'auditor-1', roles: ['BreakGlass.Auditor'] });
    problem(t, await audit('limit=0'), 400, ['querystring.limit'], 'audit limit=0');
    problem(t, await audit('limit=abc'), 400, ['querystring.limit'], 'audit limit=abc');
    problem(t, await audit('after=-1'), 400, ['querystring.after'], 'audit after=-1');
  });
  // A well-formed cursor a client made up is only a position: visibility still applies.
  const made = Buffer.from(
    JSON.stringify({ c: new Date(Date.now() + 86_400_000).toISOString(), i: "zzz' OR 1=1 --" }),
  ).toString('base64url');
  const page = await api.call('GET', `/v1/requests?cursor=${made}`, { as: PEOPLE.stranger });
  t.equal(page.status, 200, 'a made-up but well-formed cursor is a position (200)');
  t.same(page.body.items, [], 'and shows a stranger nothing');
  const ok = await list('limit=1');
  t.equal(ok.status, 200, 'limit=1 is fine');
  t.ok(ok.body.items.length <= 1);
});

void t.test('unknown routes: 404 problem; a known path with another method: 405 problem with Allow', async (t) => {
  const unknown = await api.call('GET', '/v1/nope', { as: PEOPLE.requester });
  problem(t, unknown, 404, [], 'GET /v1/nope');
  problem(t, await api.call('GET', '/v2/requests'), 404, [], 'GET /v2/requests without a token');
  const wrongMethod = await api.call('DELETE', '/v1/requests', { as: PEOPLE.requester });
  problem(t, wrongMethod, 405, [], 'DELETE /v1/requests');
  t.equal(wrongMethod.headers.get('allow'), 'GET, HEAD, POST', 'Allow names the methods the path has');
  // Router errors happen before any route: they need Fastify's frameworkErrors option (src/app.ts).
  // The router's limit is the id schema's, so an id over it is the schema's 400, not a 414.
  problem(
    t,
    await api.call('GET', `/v1/requests/${'x'.repeat(129)}`, { as: PEOPLE.requester }),
    400,
    ['params'],
    'a request id over the length limit',
  );
  problem(
    t,
    await api.call('GET', '/v1/requests/%E0%A4%A', { as: PEOPLE.requester }),
    400,
    [],
    'a malformed URL encoding',
  );
  problem(
    t,
    await api.call('GET', '/v1/requests/00000000-0000-0000-0000-000000000000', { as: PEOPLE.requester }),
    404,
    [],
    'an unknown request id',
  );
});

void t.test(
  'Idempotency-Key: one request for concurrent retries; a changed body is 422; a bad key is 400',
  async (t) => {
    const account = await newAccount();
    const body = { accountId: account.id, scenario: 'mfa_outage', justification: 'idempotent create' };
    const key = `idem-${api.h.id}-${Date.now()}`;
    const create = (headers: Record<string, string>, b: unknown = body) =>
      api.call('POST', '/v1/requests', { as: PEOPLE.requester, body: b, headers });

    const before = await settled();
    const [a, b] = await Promise.all([create({ 'idempotency-key': key }), create({ 'idempotency-key': key })]);
    t.equal(a.status, 201, 'first answer 201');
    t.equal(b.status, 201, 'second answer 201');
    t.ok(a.body.id && a.body.id === b.body.id, `both answers carry the same request id (${a.body.id} / ${b.body.id})`);
    const after = await settled();
    t.equal(after.requests, before.requests + 1, 'exactly one request was made');
    const mine = (await api.h.requests.list(api.h.pool, { visibleTo: null, limit: 100 })).filter(
      (r) => r.accountId === account.id,
    );
    t.equal(mine.length, 1, 'one request on the account');

    const retry = await create({ 'idempotency-key': key });
    t.equal(retry.status, 201, 'a later retry with the same key');
    t.equal(retry.body.id, a.body.id, 'returns the same request');

    await leavesNothing(t, async () => {
      const changed = await create({ 'idempotency-key': key }, { ...body, justification: 'a different justification' });
      problem(t, changed, 422, [], 'the same key with a different body');
      problem(
        t,
        await create({ 'idempotency-key': 'short' }),
        400,
        ['headers.idempotency-key'],
        'a key that is too short',
      );
      problem(
        t,
        await create({ 'idempotency-key': 'k'.repeat(201) }),
        400,
        ['headers.idempotency-key'],
        'a key that is too long',
      );
      problem(
        t,
        await create({ 'idempotency-key': 'has spaces in it' }),
        400,
        ['headers.idempotency-key'],
        'a key with spaces',
      );
    });
  },
);

void t.test('one approver sending the same approval three times at once counts once', async (t) => {
  const account = await newAccount();
  const created = await api.call('POST', '/v1/requests', {
    as: PEOPLE.requester,
    body: { accountId: account.id, scenario: 'drill', justification: 'double approval' },
  });
  t.equal(created.status, 201);
  const id = created.body.id as string;
  const approve = () =>
    api.call('POST', `/v1/requests/${id}/approvals`, {
      as: PEOPLE.approver1,
      body: { decision: 'approve', comment: 'once' },
    });
  const answers = await Promise.all([approve(), approve(), approve()]);
  t.ok(
    answers.some((res) => res.status === 200),
    `at least one answer is 200 (got ${answers.map((r) => r.status).join(', ')})`,
  );
  t.ok(
    answers.every((res) => res.status === 200 || res.status === 409),
    'the others are 200 (the same decision) or 409, never 5xx',
  );
  const read = await api.call('GET', `/v1/requests/${id}`, { as: PEOPLE.approver1 });
  const mine = (read.body.approvals as Array<{ approver: string }>).filter((a) => a.approver === PEOPLE.approver1);
  t.equal(mine.length, 1, 'the approvals list has that approver once');
  t.equal(read.body.status, 'pending_approval', 'one approval of two required: still pending');
  const view = await eventually('projection', async () => {
    const v = await api.h.requests.get(api.h.pool, id);
    return v && v.approvals.length >= 1 && v;
  });
  t.equal(view?.approvals.filter((a) => a.approver === PEOPLE.approver1).length, 1, 'the read model agrees');

  // A second approver completes the quorum: two distinct people, not three votes of one.
  const second = await api.call('POST', `/v1/requests/${id}/approvals`, {
    as: PEOPLE.approver2,
    body: { decision: 'approve' },
  });
  t.equal(second.status, 200);
  t.equal(second.body.status, 'released', 'released only by the second distinct approver');
  t.equal(
    (await api.call('POST', `/v1/requests/${id}/close`, { as: PEOPLE.requester, body: { summary: 'nothing done' } }))
      .status,
    200,
    'closed again',
  );
});

void t.test('one approver sending approve and deny at once: one decision counts', async (t) => {
  const account = await newAccount();
  const created = await api.call('POST', '/v1/requests', {
    as: PEOPLE.requester,
    body: { accountId: account.id, scenario: 'drill', justification: 'split decision' },
  });
  const id = created.body.id as string;
  const decide = (decision: string) =>
    api.call('POST', `/v1/requests/${id}/approvals`, { as: PEOPLE.approver1, body: { decision } });
  const answers = await Promise.all([decide('approve'), decide('deny'), decide('approve')]);
  t.ok(
    answers.every((res) => res.status === 200 || res.status === 409),
    `no 5xx (got ${answers.map((r) => r.status).join(', ')})`,
  );
  const read = await api.call('GET', `/v1/requests/${id}`, { as: PEOPLE.approver1 });
  const mine = (read.body.approvals as Array<{ approver: string; decision: string }>).filter(
    (a) => a.approver === PEOPLE.approver1,
  );
  t.equal(mine.length, 1, 'one decision by that approver is recorded');
  t.equal(
    read.body.status,
    mine[0]?.decision === 'deny' ? 'denied' : 'pending_approval',
    'the state follows the one recorded decision',
  );
  if (read.body.status === 'pending_approval') {
    t.equal(
      (await api.call('POST', `/v1/requests/${id}/cancel`, { as: PEOPLE.requester, body: {} })).status,
      200,
      'cancelled again',
    );
  }
});
