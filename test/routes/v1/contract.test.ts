import t, { type Test } from 'tap';
import { setupApi, type ApiHarness } from '../../helpers/api';
import { PEOPLE } from '../../helpers/harness';

/**
 * The OpenAPI document against what the service sends. For every documented operation, a
 * few answers are provoked (no token, an unknown id, a bad body, an id at and over the length
 * limit, a wrong media type, a body over the limit): each status must be declared for that
 * operation, with exactly the media type the service sent.
 */

interface DocumentedResponse {
  description: string;
  content?: Record<string, { schema: unknown }>;
}
interface Operation {
  security?: unknown[];
  responses: Record<string, DocumentedResponse>;
}
type Paths = Record<string, Record<string, Operation>>;

const ADMIN = { as: PEOPLE.admin, roles: ['BreakGlass.Admin'] };
const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete']);
const MAX_ID = 128;

let api: ApiHarness;
let paths: Paths;
let document: { security?: unknown[]; components: { schemas: Record<string, Record<string, unknown>> } };
t.before(async () => {
  api = await setupApi(t);
  const res = await api.call('GET', '/openapi.json');
  document = res.body;
  paths = res.body.paths;
});

const operations = () =>
  Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
  );
const mediaType = (res: { headers: Headers }) => res.headers.get('content-type')?.split(';')[0]?.trim();

/** The answer is declared for the operation, with the media type it was sent as. */
function conforms(
  t: Test,
  op: { path: string; method: string; operation: Operation },
  res: { status: number; headers: Headers; text: string },
  label: string,
) {
  const name = `${op.method.toUpperCase()} ${op.path} ${label}`;
  const declared = op.operation.responses[String(res.status)];
  t.ok(declared, `${name}: ${res.status} is declared`, { body: res.text.slice(0, 300) });
  t.same(
    Object.keys(declared?.content ?? {}),
    [mediaType(res)],
    `${name}: ${res.status} is documented as ${mediaType(res)}, as sent`,
  );
}

const url = (path: string, id: string) => path.replace('{id}', encodeURIComponent(id));

void t.test('every error response in the document is application/problem+json, and only that', async (t) => {
  for (const { path, method, operation } of operations()) {
    for (const [status, response] of Object.entries(operation.responses)) {
      if (Number(status) < 400) continue;
      t.same(
        Object.keys(response.content ?? {}),
        ['application/problem+json'],
        `${method.toUpperCase()} ${path} ${status}`,
      );
      t.not(response.description, 'Default Response', `${method.toUpperCase()} ${path} ${status} has a description`);
    }
  }
});

void t.test(
  'every operation answers as documented: without a token, and as admin with an unknown id or a bad body',
  async (t) => {
    t.ok(operations().length >= 16, `${operations().length} operations documented`);
    for (const op of operations()) {
      const isPublic = Array.isArray(op.operation.security) && op.operation.security.length === 0;
      const anonymous = await api.call(op.method.toUpperCase(), url(op.path, 'no-such-id'));
      // Public operations (probes, passkey sign-in) answer without a token: 2xx, or a documented 4xx for an empty body.
      if (isPublic)
        t.ok(
          anonymous.status < 500 && anonymous.status !== 401,
          `${op.method.toUpperCase()} ${op.path} without a token: public (${anonymous.status})`,
        );
      else t.equal(anonymous.status, 401, `${op.method.toUpperCase()} ${op.path} without a token: 401`);
      conforms(t, op, anonymous, 'without a token');
      if (isPublic) continue;
      const body = BODY_METHODS.has(op.method) ? { unexpected: true } : undefined;
      const bad = await api.call(op.method.toUpperCase(), url(op.path, `no-such-${api.h.id}`), { ...ADMIN, body });
      t.ok(
        bad.status < 500,
        `${op.method.toUpperCase()} ${op.path} as admin, with an unknown id or a bad body: ${bad.status}`,
      );
      conforms(t, op, bad, 'as admin, with an unknown id or a bad body');
    }
  },
);

void t.test(
  'ids: as long as the schema allows is looked up (404), one longer is the schema 400, never 414',
  async (t) => {
    const withId = operations().filter((op) => op.path.includes('{id}'));
    t.ok(withId.length >= 8, 'operations with an id');
    for (const op of withId) {
      const body = op.method === 'patch' ? { displayName: 'x' } : op.method === 'post' ? {} : undefined;
      const longest = await api.call(op.method.toUpperCase(), url(op.path, 'a'.repeat(MAX_ID)), { ...ADMIN, body });
      // The body may be refused first (400); an id the router refuses would be 414.
      t.ok(
        [400, 404].includes(longest.status),
        `${op.method.toUpperCase()} ${op.path} with a ${MAX_ID}-character id: ${longest.status}`,
      );
      conforms(t, op, longest, `with a ${MAX_ID}-character id`);
      const tooLong = await api.call(op.method.toUpperCase(), url(op.path, 'a'.repeat(MAX_ID + 1)), { ...ADMIN, body });
      t.equal(tooLong.status, 400, `${op.method.toUpperCase()} ${op.path} with a ${MAX_ID + 1}-character id: 400`);
      conforms(t, op, tooLong, `with a ${MAX_ID + 1}-character id`);
    }
    // The 128-character id reaches the lookup: an unknown request, not a refused parameter.
    const read = await api.call('GET', `/v1/requests/${'b'.repeat(MAX_ID)}`, ADMIN);
    t.equal(read.status, 404, 'a 128-character unknown request id is 404');
    const documented = (
      paths['/v1/requests/{id}']!.get as unknown as {
        parameters: Array<{ name: string; schema: { maxLength?: number } }>;
      }
    ).parameters;
    t.equal(documented.find((p) => p.name === 'id')?.schema.maxLength, MAX_ID, 'the document gives the same limit');
  },
);

void t.test('bodies: a wrong media type is 415 and an oversized body 413, both documented', async (t) => {
  for (const op of operations().filter((o) => BODY_METHODS.has(o.method))) {
    const target = url(op.path, `no-such-${api.h.id}`);
    // Sent by hand: the helper marks every body as JSON.
    const sent = await fetch(`${api.baseUrl}${target}`, {
      method: op.method.toUpperCase(),
      headers: { authorization: `Bearer ${await api.token(ADMIN.as, ADMIN.roles)}`, 'content-type': 'text/plain' },
      body: 'plain words',
    });
    const wrongType = { status: sent.status, headers: sent.headers, text: await sent.text() };
    t.equal(wrongType.status, 415, `${op.method.toUpperCase()} ${op.path} text/plain: 415`);
    conforms(t, op, wrongType, 'with text/plain');
    const huge = await api.call(op.method.toUpperCase(), target, {
      ...ADMIN,
      body: { justification: 'x'.repeat(70 * 1024) },
    });
    t.equal(huge.status, 413, `${op.method.toUpperCase()} ${op.path} 70 KiB: 413`);
    conforms(t, op, huge, 'with 70 KiB');
  }
});

void t.test('/healthz and /readyz are public in the document and in fact', async (t) => {
  t.same(document.security, [{ bearer: [] }], 'the rest of the API needs a bearer token');
  for (const path of ['/healthz', '/readyz']) {
    t.same(paths[path]!.get!.security, [], `${path} declares no security`);
    const res = await api.call('GET', path);
    t.equal(res.status, 200, `${path} answers without a token`);
    conforms(t, { path, method: 'get', operation: paths[path]!.get! }, res, 'without a token');
  }
  t.ok(paths['/readyz']!.get!.responses['503'], '/readyz documents its 503');
});

void t.test('PATCH /v1/accounts/{id}: {} is refused, and the document says at least one property', async (t) => {
  const { account } = await api.h.createAccount();
  const res = await api.call('PATCH', `/v1/accounts/${account.id}`, { ...ADMIN, body: {} });
  t.equal(res.status, 400, '{} is 400');
  conforms(
    t,
    { path: '/v1/accounts/{id}', method: 'patch', operation: paths['/v1/accounts/{id}']!.patch! },
    res,
    'with {}',
  );
  t.equal(document.components.schemas.AccountPatch?.minProperties, 1, 'AccountPatch has minProperties 1');
  const changed = await api.call('PATCH', `/v1/accounts/${account.id}`, { ...ADMIN, body: { displayName: 'Renamed' } });
  t.equal(changed.status, 200, 'one property is enough');
  conforms(
    t,
    { path: '/v1/accounts/{id}', method: 'patch', operation: paths['/v1/accounts/{id}']!.patch! },
    changed,
    'with one property',
  );
});

void t.test('a documented path asked with an undocumented method: 405 problem with Allow', async (t) => {
  for (const { path } of operations()) {
    const documented = Object.keys(paths[path]!).map((m) => m.toUpperCase());
    const res = await api.call('PUT', url(path, 'no-such-id'), ADMIN);
    if (documented.includes('PUT')) continue;
    t.equal(res.status, 405, `PUT ${path}: 405`);
    t.equal(mediaType(res), 'application/problem+json', `PUT ${path}: problem+json`);
    const allow = (res.headers.get('allow') ?? '').split(', ');
    for (const method of documented) t.ok(allow.includes(method), `PUT ${path}: Allow names ${method}`);
  }
});
