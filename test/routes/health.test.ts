import t, { type Test } from 'tap';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app';
import { createAppDeps } from '../../src/app-deps';
import { parseConfig } from '../../src/config';
import { TcpProxy } from '../helpers/foundation-proxy';
import { runScript } from '../helpers/foundation-process';
import { testStack, type TestStack } from '../helpers/stack-env';

/**
 * Liveness and readiness of the real app against the run's real PostgreSQL, Temporal and
 * Key Vault emulator. A dependency is taken away by pointing just that one at a closed port,
 * at a relay that swallows connections (hung), or at a relay that goes down and comes back.
 */

type Dependency = 'postgres' | 'temporal' | 'keyvault';
const ALL: Dependency[] = ['postgres', 'temporal', 'keyvault'];

interface DependencyStatus {
  name: Dependency;
  ok: boolean;
  latencyMs: number;
  error?: string;
}

interface Readiness {
  statusCode: number;
  contentType: string;
  body: { status?: number | string; title?: string; type?: string; detail?: string; dependencies?: DependencyStatus[] };
  ms: number;
}

let stack: TestStack;
t.before(async () => {
  stack = await testStack();
});

/*
 * Known product bug (see the 'graceful close after a Temporal outage' test below): a readiness
 * probe against an unreachable Temporal leaves the Temporal client's gRPC retry loop running
 * (default: 10 attempts, ≈20 s of backoff) after the probe has given up, and when the deps are
 * closed meanwhile, the next retry throws 'Channel has been shut down' from a timer, which kills
 * the process. So that one failure stays in that one test instead of taking this whole file down,
 * deps whose Temporal was unreachable are closed at the end of the file, once that window has passed.
 */
const TEMPORAL_RETRY_WINDOW_MS = 22_000;
let lastTemporalFailureAt = 0;
const closeLater: Array<() => Promise<void>> = [];
t.teardown(async () => {
  const wait = lastTemporalFailureAt + TEMPORAL_RETRY_WINDOW_MS - Date.now();
  if (closeLater.length > 0 && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  await Promise.allSettled(closeLater.map((close) => close()));
});

function baseEnv(): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: stack.env.DATABASE_URL,
    TEMPORAL_ADDRESS: stack.env.TEMPORAL_ADDRESS,
    KEYVAULT_URL: stack.env.KEYVAULT_URL,
    KEYVAULT_CA_CERT: stack.env.KEYVAULT_CA_CERT,
    KEYVAULT_CREDENTIAL: 'emulator',
    KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: 'true',
    AUTH_ISSUER: 'https://issuer.breakglass.test',
    AUTH_AUDIENCE: 'api://breakglass-test',
    AUTH_JWKS_URL: 'http://127.0.0.1:1/jwks',
  };
}

/** The real app on real deps; closed (app, then deps) when the test ends. */
async function appWith(t: Test, overrides: Record<string, string> = {}): Promise<FastifyInstance> {
  return (await appAndDeps(t, overrides)).app;
}

async function appAndDeps(
  t: Test,
  overrides: Record<string, string> = {},
): Promise<{ app: FastifyInstance; deps: ReturnType<typeof createAppDeps> }> {
  const config = parseConfig({ ...baseEnv(), ...overrides });
  const deps = createAppDeps(config);
  const app = await buildApp(deps);
  const createdAt = Date.now();
  t.teardown(async () => {
    await app.close();
    if (lastTemporalFailureAt >= createdAt) closeLater.push(() => deps.close());
    else await deps.close();
  });
  return { app, deps };
}

async function readyz(app: FastifyInstance): Promise<Readiness> {
  const started = Date.now();
  const response = await app.inject({ method: 'GET', url: '/readyz' });
  const body = response.json() as Readiness['body'];
  if (body.dependencies?.some((dependency) => dependency.name === 'temporal' && !dependency.ok))
    lastTemporalFailureAt = Date.now();
  return {
    statusCode: response.statusCode,
    contentType: String(response.headers['content-type'] ?? ''),
    body,
    ms: Date.now() - started,
  };
}

/** Polls /readyz until `want` holds (or the deadline), returning the last answer. */
async function readyzUntil(
  app: FastifyInstance,
  want: (r: Readiness) => boolean,
  timeoutMs: number,
): Promise<Readiness> {
  const deadline = Date.now() + timeoutMs;
  let last = await readyz(app);
  while (!want(last) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    last = await readyz(app);
  }
  return last;
}

function assertReady(t: Test, r: Readiness, label: string) {
  t.equal(r.statusCode, 200, `${label}: 200 (body ${JSON.stringify(r.body)})`);
  t.match(r.contentType, /^application\/json/, `${label}: JSON`);
  t.equal(r.body.status, 'ready', `${label}: status ready`);
  t.same(
    r.body.dependencies?.map((d) => d.name).sort(),
    [...ALL].sort(),
    `${label}: reports postgres, temporal and keyvault`,
  );
  for (const dependency of r.body.dependencies ?? []) {
    t.equal(dependency.ok, true, `${label}: ${dependency.name} ok${dependency.error ? ` (${dependency.error})` : ''}`);
    t.type(dependency.latencyMs, 'number', `${label}: ${dependency.name} latency reported`);
  }
}

function assertDown(t: Test, r: Readiness, down: Dependency, label: string, withinMs: number) {
  t.equal(r.statusCode, 503, `${label}: 503 (body ${JSON.stringify(r.body)})`);
  t.match(r.contentType, /^application\/problem\+json/, `${label}: application/problem+json`);
  t.equal(r.body.status, 503, `${label}: problem status 503`);
  t.equal(r.body.title, 'Service Unavailable', `${label}: problem title`);
  t.type(r.body.detail, 'string', `${label}: problem detail`);
  t.match(r.body.detail ?? '', new RegExp(`\\b${down}\\b`), `${label}: detail names ${down}`);
  for (const other of ALL.filter((name) => name !== down)) {
    t.notMatch(r.body.detail ?? '', new RegExp(`\\b${other}\\b`), `${label}: detail does not name ${other}`);
  }
  const byName = new Map((r.body.dependencies ?? []).map((dependency) => [dependency.name, dependency]));
  t.equal(byName.get(down)?.ok, false, `${label}: ${down} reported not ok`);
  t.type(byName.get(down)?.error, 'string', `${label}: ${down} has an error`);
  t.notMatch(byName.get(down)?.error ?? '', /\n/, `${label}: error is one line`);
  for (const other of ALL.filter((name) => name !== down)) {
    t.equal(
      byName.get(other)?.ok,
      true,
      `${label}: ${other} reported ok${byName.get(other)?.error ? ` (${byName.get(other)?.error})` : ''}`,
    );
  }
  t.ok(r.ms < withinMs, `${label}: answered in ${r.ms} ms (< ${withinMs} ms)`);
}

const CLOSED: Record<Dependency, () => Record<string, string>> = {
  postgres: () => {
    const url = new URL(stack.env.DATABASE_URL);
    url.hostname = '127.0.0.1';
    url.port = '1';
    return { DATABASE_URL: url.toString() };
  },
  temporal: () => ({ TEMPORAL_ADDRESS: '127.0.0.1:1' }),
  keyvault: () => ({ KEYVAULT_URL: 'https://127.0.0.1:1' }),
};

void t.test('GET /healthz is 200 without touching dependencies', async (t) => {
  const app = await appWith(t, { ...CLOSED.postgres(), ...CLOSED.temporal(), ...CLOSED.keyvault() });
  const response = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(response.statusCode, 200);
  t.same(response.json(), { status: 'ok' });
});

void t.test('GET /readyz is 200 with postgres, temporal and keyvault ok', async (t) => {
  const app = await appWith(t);
  assertReady(t, await readyz(app), 'all up');
  assertReady(t, await readyz(app), 'all up, asked again');
});

for (const down of ALL) {
  void t.test(`GET /readyz is 503 naming only ${down} when ${down} is on a closed port`, async (t) => {
    const app = await appWith(t, CLOSED[down]());
    assertDown(t, await readyz(app), down, `${down} closed`, 4_000);
    assertDown(t, await readyz(app), down, `${down} closed, asked again`, 4_000);
  });
}

for (const down of ALL) {
  void t.test(
    `GET /readyz answers 503 within a few seconds when ${down} accepts connections but never answers`,
    async (t) => {
      const target =
        down === 'postgres'
          ? stack.env.DATABASE_URL
          : down === 'temporal'
            ? `tcp://${stack.env.TEMPORAL_ADDRESS}`
            : stack.env.KEYVAULT_URL;
      const proxy = TcpProxy.forUrl(target);
      await proxy.up('blackhole');
      t.teardown(() => proxy.down());
      const overrides: Record<string, string> =
        down === 'postgres'
          ? { DATABASE_URL: proxy.url(stack.env.DATABASE_URL) }
          : down === 'temporal'
            ? { TEMPORAL_ADDRESS: proxy.address }
            : { KEYVAULT_URL: proxy.url(stack.env.KEYVAULT_URL) };
      const app = await appWith(t, overrides);
      const r = await readyz(app);
      assertDown(t, r, down, `${down} hung`, 4_000);
      t.match(r.body.detail ?? '', /no answer within \d+ ms/, `${down} hung: says it timed out`);
    },
  );
}

void t.test(
  'readiness follows each dependency going away and coming back (API started while they were down)',
  async (t) => {
    const proxies: Record<Dependency, TcpProxy> = {
      postgres: TcpProxy.forUrl(stack.env.DATABASE_URL),
      temporal: TcpProxy.forUrl(`tcp://${stack.env.TEMPORAL_ADDRESS}`),
      keyvault: TcpProxy.forUrl(stack.env.KEYVAULT_URL),
    };
    for (const proxy of Object.values(proxies)) await proxy.reserve();
    t.teardown(async () => {
      for (const proxy of Object.values(proxies)) await proxy.down();
    });
    const { app, deps } = await appAndDeps(t, {
      DATABASE_URL: proxies.postgres.url(stack.env.DATABASE_URL),
      TEMPORAL_ADDRESS: proxies.temporal.address,
      KEYVAULT_URL: proxies.keyvault.url(stack.env.KEYVAULT_URL),
    });
    // Known product bug (asserted by 'PostgreSQL ending the idle pooled connection' below): the pool
    // has no 'error' listener, so losing an idle connection is an uncaught exception. Listened to
    // here only so that this test reports readiness itself instead of dying of that.
    deps.pool.on('error', () => {});

    const allDown = await readyz(app);
    t.equal(allDown.statusCode, 503, 'started with everything down: 503');
    t.same(
      (allDown.body.dependencies ?? [])
        .filter((d) => !d.ok)
        .map((d) => d.name)
        .sort(),
      [...ALL].sort(),
      'all three reported down',
    );
    t.ok(allDown.ms < 4_000, `answered in ${allDown.ms} ms`);

    for (const proxy of Object.values(proxies)) await proxy.up();
    const recovered = await readyzUntil(app, (r) => r.statusCode === 200, 30_000);
    assertReady(t, recovered, 'all came back');

    for (const down of ALL) {
      await proxies[down].down();
      const r = await readyzUntil(app, (res) => res.statusCode === 503, 10_000);
      assertDown(t, r, down, `${down} went away`, 4_000);
      await proxies[down].up();
      assertReady(t, await readyzUntil(app, (res) => res.statusCode === 200, 30_000), `${down} came back`);
    }
  },
);

void t.test(
  'graceful close after a Temporal outage: nothing left running by the probe crashes the process',
  async (t) => {
    // A separate process, because the failure mode is an uncaught exception from a timer.
    const result = await runScript(
      'test/helpers/foundation-readyz-then-close.ts',
      { ...baseEnv(), TEMPORAL_ADDRESS: '127.0.0.1:1', BREAKGLASS_LINGER_MS: '8000' },
      60_000,
    );
    t.match(result.stdout, /^readyz 503$/m, 'readiness reported 503 while Temporal was unreachable');
    t.notMatch(
      result.stderr,
      /Channel has been shut down/,
      `no retry fires on the closed Temporal channel (stderr: ${JSON.stringify(result.stderr.split('\n')[0])})`,
    );
    t.equal(result.code, 0, 'the process lived on after closing its deps and exited 0');
    t.match(result.stdout, /closed cleanly/, 'it reached the end');
  },
);

void t.test(
  'PostgreSQL ending the idle pooled connection (failover, restart): the API survives and is ready again',
  async (t) => {
    // A separate process, because the failure mode is an unhandled 'error' event on the pool.
    const result = await runScript('test/helpers/foundation-pg-failover.ts', baseEnv(), 60_000);
    t.match(result.stdout, /^before 200$/m, 'ready before');
    t.match(result.stdout, /^terminating \d+$/m, "PostgreSQL is told to end the app's pooled connection");
    t.notMatch(
      result.stderr,
      /Unhandled 'error' event/,
      `no unhandled pool error (stderr: ${JSON.stringify(result.stderr.split('\n')[0])})`,
    );
    t.equal(result.code, 0, 'the process survived');
    t.match(result.stdout, /^after 200$/m, 'ready again with a fresh connection');
  },
);
