import t from 'tap';
import { PEOPLE } from '../../helpers/harness';
import { badInputKit } from '../../helpers/bad-input';
import { eventually } from '../../helpers/wait';

/**
 * Bad input over real HTTP (queries, routes and races: one Idempotency-Key sent twice at once makes one request, and one approver's concurrent approvals count once): every malformed body, query or header is answered 400 (413,
 * 415, 422 where the protocol says so) as problem+json naming the failing field paths, and leaves
 * nothing behind: no request, account, audit row, idempotency key or sealed secret.
 */

const kit = badInputKit(t);
const { settled, leavesNothing, problem, newAccount } = kit;

void t.test('GET /v1/requests and /v1/audit: bad queries give 400 naming the parameter', async (t) => {
  const list = (query: string) => kit.api().call('GET', `/v1/requests?${query}`, { as: PEOPLE.requester });
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
      kit.api().call('GET', `/v1/audit?${query}`, { as: 'auditor-1', roles: ['BreakGlass.Auditor'] });
    problem(t, await audit('limit=0'), 400, ['querystring.limit'], 'audit limit=0');
    problem(t, await audit('limit=abc'), 400, ['querystring.limit'], 'audit limit=abc');
    problem(t, await audit('after=-1'), 400, ['querystring.after'], 'audit after=-1');
  });
  // A well-formed cursor a client made up is only a position: visibility still applies.
  const made = Buffer.from(
    JSON.stringify({ c: new Date(Date.now() + 86_400_000).toISOString(), i: "zzz' OR 1=1 --" }),
  ).toString('base64url');
  const page = await kit.api().call('GET', `/v1/requests?cursor=${made}`, { as: PEOPLE.stranger });
  t.equal(page.status, 200, 'a made-up but well-formed cursor is a position (200)');
  t.same(page.body.items, [], 'and shows a stranger nothing');
  const ok = await list('limit=1');
  t.equal(ok.status, 200, 'limit=1 is fine');
  t.ok(ok.body.items.length <= 1);
});

void t.test('unknown routes: 404 problem; a known path with another method: 405 problem with Allow', async (t) => {
  const unknown = await kit.api().call('GET', '/v1/nope', { as: PEOPLE.requester });
  problem(t, unknown, 404, [], 'GET /v1/nope');
  problem(t, await kit.api().call('GET', '/v2/requests'), 404, [], 'GET /v2/requests without a token');
  const wrongMethod = await kit.api().call('DELETE', '/v1/requests', { as: PEOPLE.requester });
  problem(t, wrongMethod, 405, [], 'DELETE /v1/requests');
  t.equal(wrongMethod.headers.get('allow'), 'GET, HEAD, POST', 'Allow names the methods the path has');
  // Router errors happen before any route: they need Fastify's frameworkErrors option (src/app.ts).
  // The router's limit is the id schema's, so an id over it is the schema's 400, not a 414.
  problem(
    t,
    await kit.api().call('GET', `/v1/requests/${'x'.repeat(129)}`, { as: PEOPLE.requester }),
    400,
    ['params'],
    'a request id over the length limit',
  );
  problem(
    t,
    await kit.api().call('GET', '/v1/requests/%E0%A4%A', { as: PEOPLE.requester }),
    400,
    [],
    'a malformed URL encoding',
  );
  problem(
    t,
    await kit.api().call('GET', '/v1/requests/00000000-0000-0000-0000-000000000000', { as: PEOPLE.requester }),
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
    const key = `idem-${kit.api().h.id}-${Date.now()}`;
    const create = (headers: Record<string, string>, b: unknown = body) =>
      kit.api().call('POST', '/v1/requests', { as: PEOPLE.requester, body: b, headers });

    const before = await settled();
    const [a, b] = await Promise.all([create({ 'idempotency-key': key }), create({ 'idempotency-key': key })]);
    t.equal(a.status, 201, 'first answer 201');
    t.equal(b.status, 201, 'second answer 201');
    t.ok(a.body.id && a.body.id === b.body.id, `both answers carry the same request id (${a.body.id} / ${b.body.id})`);
    const after = await settled();
    t.equal(after.requests, before.requests + 1, 'exactly one request was made');
    const mine = (await kit.api().h.requests.list(kit.api().h.pool, { visibleTo: null, limit: 100 })).filter(
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
  const created = await kit.api().call('POST', '/v1/requests', {
    as: PEOPLE.requester,
    body: { accountId: account.id, scenario: 'drill', justification: 'double approval' },
  });
  t.equal(created.status, 201);
  const id = created.body.id as string;
  const approve = () =>
    kit.api().call('POST', `/v1/requests/${id}/approvals`, {
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
  const read = await kit.api().call('GET', `/v1/requests/${id}`, { as: PEOPLE.approver1 });
  const mine = (read.body.approvals as Array<{ approver: string }>).filter((a) => a.approver === PEOPLE.approver1);
  t.equal(mine.length, 1, 'the approvals list has that approver once');
  t.equal(read.body.status, 'pending_approval', 'one approval of two required: still pending');
  const view = await eventually('projection', async () => {
    const v = await kit.api().h.requests.get(kit.api().h.pool, id);
    return v && v.approvals.length >= 1 && v;
  });
  t.equal(view?.approvals.filter((a) => a.approver === PEOPLE.approver1).length, 1, 'the read model agrees');

  // A second approver completes the quorum: two distinct people, not three votes of one.
  const second = await kit.api().call('POST', `/v1/requests/${id}/approvals`, {
    as: PEOPLE.approver2,
    body: { decision: 'approve' },
  });
  t.equal(second.status, 200);
  t.equal(second.body.status, 'released', 'released only by the second distinct approver');
  t.equal(
    (
      await kit
        .api()
        .call('POST', `/v1/requests/${id}/close`, { as: PEOPLE.requester, body: { summary: 'nothing done' } })
    ).status,
    200,
    'closed again',
  );
});

void t.test('one approver sending approve and deny at once: one decision counts', async (t) => {
  const account = await newAccount();
  const created = await kit.api().call('POST', '/v1/requests', {
    as: PEOPLE.requester,
    body: { accountId: account.id, scenario: 'drill', justification: 'split decision' },
  });
  const id = created.body.id as string;
  const decide = (decision: string) =>
    kit.api().call('POST', `/v1/requests/${id}/approvals`, { as: PEOPLE.approver1, body: { decision } });
  const answers = await Promise.all([decide('approve'), decide('deny'), decide('approve')]);
  t.ok(
    answers.every((res) => res.status === 200 || res.status === 409),
    `no 5xx (got ${answers.map((r) => r.status).join(', ')})`,
  );
  const read = await kit.api().call('GET', `/v1/requests/${id}`, { as: PEOPLE.approver1 });
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
      (await kit.api().call('POST', `/v1/requests/${id}/cancel`, { as: PEOPLE.requester, body: {} })).status,
      200,
      'cancelled again',
    );
  }
});
