import t from 'tap';
import { setupApi, type ApiHarness } from '../../helpers/api';
import { PEOPLE } from '../../helpers/harness';

let api: ApiHarness;
t.before(async () => {
  api = await setupApi(t);
});

void t.test('the OpenAPI document is generated from the schemas and served with its viewer', async (t) => {
  const doc = await api.call('GET', '/openapi.json');
  t.equal(doc.status, 200);
  t.equal(doc.body.openapi, '3.1.0');
  for (const path of [
    '/v1/accounts',
    '/v1/accounts/{id}',
    '/v1/requests',
    '/v1/requests/{id}',
    '/v1/requests/{id}/approvals',
    '/v1/requests/{id}/cancel',
    '/v1/requests/{id}/reveal',
    '/v1/requests/{id}/close',
    '/v1/requests/{id}/review',
    '/v1/audit',
    '/v1/audit/verify',
  ]) {
    t.ok(doc.body.paths[path], `documents ${path}`);
  }
  const scenario = JSON.stringify(doc.body.components?.schemas?.RequestCreate ?? doc.body.paths['/v1/requests'].post);
  t.match(scenario, /conditional_access_lockout/, 'the scenario enum comes from the zod schema');
  const docs = await api.call('GET', '/docs');
  t.equal(docs.status, 200);
  t.match(docs.text, /swagger/i, 'the viewer is served');
});

void t.test('reveal is rate-limited per principal and never cached', async (t) => {
  const { account } = await api.h.createAccount({ policy: { releaseWindow: 'PT10M', reviewDue: 'PT1H' } });
  const created = await api.call('POST', '/v1/requests', {
    as: PEOPLE.requester,
    body: { accountId: account.id, scenario: 'drill', justification: 'rate limit drill' },
  });
  const id = created.body.id as string;
  await api.call('POST', `/v1/requests/${id}/approvals`, { as: PEOPLE.approver1, body: { decision: 'approve' } });
  await api.call('POST', `/v1/requests/${id}/approvals`, { as: PEOPLE.approver2, body: { decision: 'approve' } });
  const statuses: number[] = [];
  for (let i = 0; i < 12; i += 1) {
    const res = await api.call('POST', `/v1/requests/${id}/reveal`, { as: PEOPLE.requester });
    statuses.push(res.status);
    if (res.status === 200) t.equal(res.headers.get('cache-control'), 'no-store');
    if (res.status === 429) {
      t.equal(res.headers.get('content-type')?.split(';')[0], 'application/problem+json', '429 is a problem document');
    }
  }
  t.equal(statuses.filter((s) => s === 200).length, 10, 'ten reveals a minute');
  t.equal(statuses.filter((s) => s === 429).length, 2, 'then 429');
  const other = await api.call('POST', `/v1/requests/${id}/reveal`, { as: PEOPLE.approver1 });
  t.equal(other.status, 403, 'the limit is per principal: another caller is not throttled by it');
  await api.call('POST', `/v1/requests/${id}/close`, { as: PEOPLE.requester, body: { summary: 'done' } });
});

void t.test('logs are structured, carry request ids, and redact tokens', async (t) => {
  const res = await api.call('GET', '/v1/requests', {
    as: PEOPLE.requester,
    headers: { 'x-request-id': 'trace-abc-123' },
  });
  t.equal(res.status, 200);
  const lines = api.logs
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const mine = lines.filter((line) => line.reqId === 'trace-abc-123');
  t.equal(mine.length, 1, 'one line per request, carrying the request id');
  t.match(
    mine[0],
    {
      msg: 'request completed',
      req: { method: 'GET', url: '/v1/requests' },
      res: { statusCode: 200 },
      responseTime: Number,
    },
    'it says what was asked, the answer and how long it took',
  );
  const token = await api.token(PEOPLE.requester);
  t.notOk(api.logs.join('').includes(token), 'the bearer token is not logged');
});

void t.test('errors never leak internals', async (t) => {
  const res = await api.call('GET', '/v1/requests/%00%ff', { as: PEOPLE.requester });
  t.ok([400, 404].includes(res.status));
  t.notMatch(res.text, /at .*\.ts:\d+|node_modules|SELECT|stack/i, 'no stack trace or SQL');
});
