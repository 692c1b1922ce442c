import t, { type Test } from 'tap';
import { z } from 'zod';
import { serializerCompiler } from '@fastify/type-provider-zod';
import { requestSchema } from '../../../src/schemas/request';
import { schemaOrderSerializerCompiler } from '../../../src/schemas/json-in-schema-order';
import { setupApi, type ApiHarness } from '../../helpers/api';
import { PEOPLE } from '../../helpers/harness';
import { eventually } from '../../helpers/wait';

/**
 * GET /v1/requests/:id answers without zod checking its own read model again (the hot read):
 * the body must stay byte for byte what zod's serializer made of the same row, in every status,
 * and who may not see a request still gets the 404, audited.
 */

let api: ApiHarness;
t.before(async () => {
  api = await setupApi(t);
});

const route = { method: 'GET', url: '/v1/requests/:id', httpStatus: '200' };
const zodBody = serializerCompiler({ schema: requestSchema, ...route } as Parameters<typeof serializerCompiler>[0]);

async function create(policy: Record<string, string> = {}): Promise<string> {
  const { account } = await api.h.createAccount({ policy });
  const res = await api.call('POST', '/v1/requests', {
    as: PEOPLE.requester,
    body: { accountId: account.id, scenario: 'drill', justification: 'read body "quoted" \\ é ✓', incidentRef: null },
  });
  t.equal(res.status, 201);
  return res.body.id as string;
}

async function expectSameBody(t: Test, id: string, status: string) {
  const res = await api.call('GET', `/v1/requests/${id}`, { as: PEOPLE.requester });
  t.equal(res.status, 200);
  t.equal(res.body.status, status);
  const row = await api.h.requests.get(api.h.pool, id);
  t.equal(res.text, zodBody(row), `${status}: the body is byte for byte what zod's serializer made of the row`);
  t.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  t.equal(Number(res.headers.get('content-length')), Buffer.byteLength(res.text));
  t.match(res.headers.get('content-security-policy'), /frame-ancestors 'none'/, 'the security headers are there');
  t.notOk('policy' in res.body || 'version' in res.body, 'the view without its internal bookkeeping');
}

void t.test('the body is what zod made of the row, in every status', async (t) => {
  const whole = await create();
  await expectSameBody(t, whole, 'pending_approval');
  for (const [approver, comment] of [
    [PEOPLE.approver1, 'verified on the bridge'],
    [PEOPLE.approver2, null],
  ] as const)
    t.equal(
      (
        await api.call('POST', `/v1/requests/${whole}/approvals`, {
          as: approver,
          body: { decision: 'approve', comment },
        })
      ).status,
      200,
    );
  await expectSameBody(t, whole, 'released');
  const closed = await api.call('POST', `/v1/requests/${whole}/close`, {
    as: PEOPLE.requester,
    body: { summary: 'done\nwith a second line' },
  });
  t.equal(closed.status, 200);
  await expectSameBody(t, whole, 'awaiting_review');
  const review = {
    actionsAppropriate: true,
    signInLogsReviewed: true,
    credentialRotated: false,
    findings: 'nothing odd',
    followUpTicket: 'SEC-1',
  };
  t.equal((await api.call('POST', `/v1/requests/${whole}/review`, { as: PEOPLE.reviewer, body: review })).status, 200);
  await expectSameBody(t, whole, 'completed');

  const denied = await create();
  const deny = { decision: 'deny', comment: 'not an incident' };
  t.equal(
    (await api.call('POST', `/v1/requests/${denied}/approvals`, { as: PEOPLE.approver1, body: deny })).status,
    200,
  );
  await expectSameBody(t, denied, 'denied');

  const cancelled = await create();
  const cancel = { reason: 'solved otherwise' };
  t.equal(
    (await api.call('POST', `/v1/requests/${cancelled}/cancel`, { as: PEOPLE.requester, body: cancel })).status,
    200,
  );
  await expectSameBody(t, cancelled, 'cancelled');

  const expired = await create({ approvalTimeout: 'PT1S' });
  await eventually(
    'the request expires',
    async () => (await api.h.requests.get(api.h.pool, expired))?.status === 'expired',
  );
  await expectSameBody(t, expired, 'expired');
});

void t.test('a request the caller may not see is still a 404 problem, audited', async (t) => {
  const id = await create();
  const res = await api.call('GET', `/v1/requests/${id}`, { as: PEOPLE.stranger });
  t.equal(res.status, 404);
  t.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  t.match(res.body, { status: 404 });
  const missing = await api.call('GET', `/v1/requests/${id}`.replace(/.$/, '0'), { as: PEOPLE.stranger });
  t.same(
    { ...missing.body, instance: undefined, detail: undefined },
    { ...res.body, instance: undefined, detail: undefined },
    'the same answer as for a request that does not exist',
  );
  const refused = (await api.h.audit.list(api.h.pool, { requestId: id, limit: 100 })).filter(
    (event) => event.action === 'request.read.refused',
  );
  t.equal(refused.length, 1, 'the refusal is audited');
  t.equal(refused[0]?.actor, PEOPLE.stranger);
  t.equal(
    (await api.call('GET', `/v1/requests/${id}`, { as: 'auditor-1', roles: ['BreakGlass.Auditor'] })).status,
    200,
  );
  t.equal((await api.call('GET', `/v1/requests/${id}`, { as: PEOPLE.approver3 })).status, 200, 'a member sees it');
});

void t.test('visibility follows the account as it is now', async (t) => {
  const id = await create();
  const view = await api.h.requests.get(api.h.pool, id);
  t.equal((await api.call('GET', `/v1/requests/${id}`, { as: PEOPLE.approver3 })).status, 200, 'a member reads it');
  const patched = await api.call('PATCH', `/v1/accounts/${view!.accountId}`, {
    as: PEOPLE.admin,
    roles: ['BreakGlass.Admin'],
    body: { approvers: [PEOPLE.approver1, PEOPLE.approver2] },
  });
  t.equal(patched.status, 200);
  const res = await api.call('GET', `/v1/requests/${id}`, { as: PEOPLE.approver3 });
  t.equal(res.status, 404, 'no longer an approver of the account: 404');
  t.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
});

void t.test('the schema-order copy is what zod encodes, or zod itself where it cannot copy', async (t) => {
  const schema = z.object({
    b: z.string(),
    a: z.array(z.object({ y: z.number().nullable(), x: z.string().optional() })),
    c: z.enum(['one', 'two']).nullable(),
  });
  const fast = schemaOrderSerializerCompiler({ schema, ...route });
  const value = { c: null, extra: 'dropped', a: [{ x: 'é"\\', y: 1.5 }, { y: null }], b: 'β' };
  t.equal(fast(value), JSON.stringify(schema.encode(value as never)));
  t.equal(
    fast(value),
    '{"b":"β","a":[{"y":1.5,"x":"é\\"\\\\"},{"y":null}],"c":null}',
    'schema order, extra keys dropped',
  );
  const overwritten = z.object({
    n: z
      .string()
      .trim()
      .overwrite((s) => s.toUpperCase()),
  });
  t.equal(
    schemaOrderSerializerCompiler({ schema: overwritten, ...route })({ n: ' abc ' }),
    JSON.stringify(overwritten.encode({ n: ' abc ' })),
    'overwrites apply as zod applies them',
  );
  const transformed = z.object({ n: z.string().transform((s) => s.length) });
  t.throws(
    () => schemaOrderSerializerCompiler({ schema: transformed, ...route })({ n: 'abc' }),
    /unidirectional transform/,
    'a schema with a transform keeps zod (which cannot encode a one-way transform)',
  );
  const union = z.object({ u: z.union([z.string(), z.number()]) });
  t.throws(
    () => schemaOrderSerializerCompiler({ schema: union, ...route })({ u: true }),
    /doesn't match the schema/,
    'a schema it cannot copy still refuses a wrong answer',
  );
});
