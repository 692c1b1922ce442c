import t, { type Test } from 'tap';
import { initialView } from '../../src/domain/initial-view';
import type { RequestView } from '../../src/domain/request';
import { createRequestReadCache, type RequestReadCacheOptions } from '../../src/db/request-read-cache';
import type { RequestsRepository } from '../../src/db/requests-repository';
import { FAST_POLICY, setupHarness, type Harness } from '../helpers/harness';
import { eventually } from '../helpers/wait';

/**
 * The read cache of GET /v1/requests/:id on real PostgreSQL: a cached read costs no query; a
 * change to the row or to an account's members, by anyone, is seen once PostgreSQL announces
 * it; a read whose query raced a change is not kept; a lost or silent listener sends every
 * read to PostgreSQL until a new one is heard.
 */

let h: Harness;
t.before(async () => {
  h = await setupHarness(t, { worker: false });
});

let n = 0;
async function aRequest(): Promise<{ view: RequestView; accountId: string }> {
  const { account } = await h.createAccount();
  n += 1;
  const view = initialView({
    requestId: `cache-${h.id}-${n}`,
    accountId: account.id,
    secretName: 'unused',
    requester: 'alice',
    scenario: 'drill',
    justification: 'read cache test',
    incidentRef: null,
    createdAt: new Date().toISOString(),
    policy: FAST_POLICY,
    membership: { requesters: ['alice'], approvers: ['bob', 'carol'], reviewers: ['erin'] },
  });
  await h.requests.insertPending(h.pool, view);
  return { view, accountId: account.id };
}

/** A cache over the harness's schema, counting the queries it makes (made after the rows a test starts from, so their notifications are not in flight). */
async function aCache(t: Test, options: Partial<RequestReadCacheOptions> = {}) {
  const counted = { queries: 0 };
  const requests: RequestsRepository = {
    ...h.requests,
    getForRead: async (db, id) => {
      counted.queries += 1;
      return h.requests.getForRead(db, id);
    },
  };
  const cache = createRequestReadCache(h.pool, requests, {
    url: h.stack.env.DATABASE_URL,
    schema: h.schema,
    pingMs: 100,
    reconnectMs: 50,
    ...options,
  });
  cache.start();
  t.teardown(() => cache.stop());
  await eventually('the listener to be heard', async () => cache.state().live, 10_000);
  return { cache, counted };
}

void t.test('a cached read costs no query; a change to the row is seen once announced', async (t) => {
  const { view } = await aRequest();
  const { cache, counted } = await aCache(t);
  t.equal((await cache.read(view.id))?.view.status, 'pending_approval');
  t.equal((await cache.read(view.id))?.view.status, 'pending_approval');
  t.equal(counted.queries, 1, 'the second read came from the cache');
  t.equal(await cache.read('no-such-request'), null, 'an unknown id is null');
  t.equal(await cache.read('no-such-request'), null);
  t.equal(counted.queries, 3, 'an unknown id is never cached');

  // Written by someone else (the worker, in the service): only the notification can tell this cache.
  await h.requests.project(h.pool, { ...view, status: 'released', version: view.version + 1 });
  await eventually('the change to be read', async () => (await cache.read(view.id))?.view.status === 'released');
  const queries = counted.queries;
  t.equal((await cache.read(view.id))?.view.status, 'released');
  t.equal(counted.queries, queries, 'the new view is cached in turn');

  await h.pool.query('DELETE FROM requests WHERE id = $1', [view.id]);
  await eventually('the deletion to be read', async () => (await cache.read(view.id)) === null);
});

void t.test('a change to any account drops the members cached with each read', async (t) => {
  const { view, accountId } = await aRequest();
  const { cache } = await aCache(t);
  t.notOk((await cache.read(view.id))?.membership.approvers.includes('zed'), 'the members as registered');
  await h.pool.query(`UPDATE accounts SET approvers = approvers || ARRAY['zed'] WHERE id = $1`, [accountId]);
  await eventually(
    'the new members to be read',
    async () => (await cache.read(view.id))?.membership.approvers.includes('zed') === true,
  );
});

void t.test('a read whose query ran while something changed is not kept', async (t) => {
  const { view } = await aRequest();
  const { cache, counted } = await aCache(t);
  const racing = cache.read(view.id);
  cache.forget('another-request');
  t.equal((await racing)?.view.id, view.id, 'the read itself is answered');
  await cache.read(view.id);
  t.equal(counted.queries, 2, 'the raced answer was not kept: the next read queried');
  await cache.read(view.id);
  t.equal(counted.queries, 2, 'that one was');
});

void t.test('a lost listener: reads go to PostgreSQL until a new listener is heard', async (t) => {
  const { view } = await aRequest();
  // Slow to reconnect, so the time without a listener can be seen.
  const { cache, counted } = await aCache(t, { reconnectMs: 1_500 });
  await cache.read(view.id);
  const first = cache.state().listenerPid;
  t.ok(first, 'the listener has a backend');
  await h.pool.query('SELECT pg_terminate_backend($1)', [first]);
  await eventually('the loss to be noticed', async () => !cache.state().live, 1_000, 10);
  t.equal(cache.state().entries, 0, 'everything cached was dropped');
  const before = counted.queries;
  await cache.read(view.id);
  await cache.read(view.id);
  t.equal(counted.queries, before + 2, 'every read went to PostgreSQL');
  await eventually('a new listener', async () => cache.state().live && cache.state().listenerPid !== first, 10_000);
  await cache.read(view.id);
  const after = counted.queries;
  await cache.read(view.id);
  t.equal(counted.queries, after, 'the cache answers again');
});

void t.test('a silent listener stops the cache within its silence limit', async (t) => {
  // Pinging once a minute, but answering only within 300 ms of the last thing heard.
  const { view } = await aRequest();
  const { cache, counted } = await aCache(t, { pingMs: 60_000, silenceMs: 300 });
  await eventually('the silence', async () => !cache.state().live, 5_000);
  await cache.read(view.id);
  await cache.read(view.id);
  t.equal(counted.queries, 2, 'every read queried');
  t.equal(cache.state().entries, 0, 'and nothing was kept');
  // Anything heard on this schema (here a change of the row) makes it live again, from nothing.
  await h.requests.project(h.pool, { ...view, status: 'released', version: view.version + 1 });
  await eventually('the change to be heard', async () => cache.state().live, 5_000);
  t.equal((await cache.read(view.id))?.view.status, 'released');
});

void t.test('no entry is answered past its maximum age', async (t) => {
  const { view } = await aRequest();
  // For a change that fired no trigger (triggers disabled, a restore): the age bounds it.
  const { cache, counted } = await aCache(t, { maxAgeMs: 300 });
  await cache.read(view.id);
  await cache.read(view.id);
  t.equal(counted.queries, 1, 'the second read came from the cache');
  await new Promise((resolve) => setTimeout(resolve, 350));
  await cache.read(view.id);
  t.equal(counted.queries, 2, 'an entry past its age is read again');
});

void t.test('a listener that hears nothing, while its connection stays up, is replaced', async (t) => {
  const { view } = await aRequest();
  const { cache, counted } = await aCache(t, { pingMs: 100, silenceMs: 400 });
  const first = cache.state().listenerPid!;
  // The backend frozen (SIGSTOP): its socket stays open and says nothing, like a dropped route.
  process.kill(first, 'SIGSTOP');
  t.teardown(() => {
    try {
      process.kill(first, 'SIGCONT');
    } catch {
      // Already gone.
    }
  });
  await eventually('the silence to stop the cache', async () => !cache.state().live, 5_000, 20);
  const before = counted.queries;
  await cache.read(view.id);
  t.equal(counted.queries, before + 1, 'a read during the silence queried');
  await eventually('a new listener', async () => cache.state().live && cache.state().listenerPid !== first, 10_000);
  process.kill(first, 'SIGCONT');
  await cache.read(view.id);
  const after = counted.queries;
  await cache.read(view.id);
  t.equal(counted.queries, after, 'the cache answers again');
});
