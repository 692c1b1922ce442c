import { randomUUID } from 'node:crypto';
import t from 'tap';
import { GraphStandin, STANDIN_TOKEN } from '../../devstack/graph-standin/server';
import { createGraphApi } from '../../src/watch/graph-api';
import { createGraphClient, GraphError, retryAfterMs } from '../../src/watch/graph-client';

let standin: GraphStandin;
const userId = randomUUID();
t.before(async () => {
  standin = new GraphStandin();
  await standin.start();
  standin.addUser(userId, 'bg@contoso.onmicrosoft.com');
});
t.teardown(() => standin.stop());

const client = (options: Partial<Parameters<typeof createGraphClient>[0]> = {}) =>
  createGraphClient({
    baseUrl: standin.url,
    token: () => Promise.resolve(STANDIN_TOKEN),
    timeoutMs: 2_000,
    maxRetries: 3,
    maxRetryAfterMs: 5_000,
    ...options,
  });

void t.test('paging follows @odata.nextLink to the last page', async (t) => {
  for (let i = 0; i < 7; i += 1)
    standin.injectSignIn({ userId, createdDateTime: new Date(Date.now() - i * 1000).toISOString() });
  standin.pageSize = 3;
  t.teardown(() => void (standin.pageSize = 100));
  const before = standin.requests.length;
  const signIns = await createGraphApi(client()).signIns(userId, new Date(Date.now() - 60_000));
  t.equal(signIns.length, 7);
  t.equal(standin.requests.length - before, 3, 'three pages');
  t.equal(new Set(signIns.map((s) => s.id)).size, 7);
});

void t.test('429 with Retry-After: waits as told, then succeeds', async (t) => {
  standin.throttle(2, 1);
  const started = Date.now();
  const user = await createGraphApi(client()).user(userId);
  t.equal(user?.id, userId);
  t.ok(Date.now() - started >= 2_000, 'waited two Retry-After seconds');
});

void t.test('503 is retried; too many failures or a Retry-After beyond the bound fail the call', async (t) => {
  standin.unavailable(1, 0);
  t.equal((await createGraphApi(client()).user(userId))?.id, userId, 'one 503 is retried');
  standin.unavailable(4, 0);
  await t.rejects(
    createGraphApi(client()).user(userId),
    { name: 'GraphError', status: 503 },
    'gives up after maxRetries',
  );
  standin.throttle(1, 120);
  const started = Date.now();
  await t.rejects(
    createGraphApi(client()).user(userId),
    { name: 'GraphError', status: 429 },
    'a two-minute Retry-After is not waited for',
  );
  t.ok(Date.now() - started < 2_000);
});

void t.test('unreachable, wrong token, missing user, timeouts and foreign links', async (t) => {
  await t.rejects(
    createGraphClient({ baseUrl: 'http://127.0.0.1:1', token: () => Promise.resolve('x') }).get('v1.0/users/x'),
    { code: 'Unreachable' },
  );
  await t.rejects(client({ token: () => Promise.resolve('wrong') }).get(`v1.0/users/${userId}`), {
    status: 401,
    code: 'InvalidAuthenticationToken',
  });
  t.equal(await createGraphApi(client()).user(randomUUID()), null, '404 is "no such user"');
  await t.rejects(
    client({ timeoutMs: 1 }).list('v1.0/identity/conditionalAccess/policies'),
    GraphError,
    'a call that outlives its timeout fails',
  );
  const foreign = createGraphClient({ baseUrl: standin.url, token: () => Promise.resolve(STANDIN_TOKEN) });
  await t.rejects(
    foreign.get('http://evil.example/v1.0/users'),
    { code: 'ForeignLink' },
    'the token never goes to another origin',
  );
  t.equal(retryAfterMs('3'), 3000);
  t.ok(retryAfterMs(new Date(Date.now() + 5_000).toUTCString())! > 3_000, 'Retry-After as an HTTP date');
});
