import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecretClient } from '@azure/keyvault-secrets';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevKey, mintDevToken, serveDevJwks } from '../devstack/dev-identity';
import { freePort } from '../devstack/processes';
import type { LocalStack } from '../devstack/stack';
import { registerAccount } from '../src/accounts/register';
import { createAuditRepository } from '../src/audit/audit-repository';
import { createAccountsRepository, type Account } from '../src/db/accounts-repository';
import { migrate } from '../src/db/migrate';
import { createPool, type Pool } from '../src/db/pool';
import { createRequestsRepository } from '../src/db/requests-repository';
import type { PolicySnapshot } from '../src/domain/request';
import { createSecretClient, primeSecretClient } from '../src/keyvault/secret-client';
import { createLifecycle, type Lifecycle } from '../src/lifecycle/commands';
import { connectTemporalClient } from '../src/temporal/client';
import { startAlertSink, startNode, type NodeService } from './services';

/** Long timers: a flow is driven by people (the bench), never by a timeout, and the scale set stays open. */
const POLICY: PolicySnapshot = {
  requiredApprovals: 2,
  approvalTimeout: 'PT1H',
  releaseWindow: 'PT1H',
  reviewDue: 'PT72H',
  reviewReminder: 'PT24H',
};
export const PEOPLE = {
  requester: 'alice',
  approvers: ['bob', 'carol', 'dave'],
  reviewer: 'erin',
  admin: 'bench-admin',
};
const quietBundleLogger = { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} };

export interface World {
  temporal: Client;
  pool: Pool;
  secrets: SecretClient;
  lifecycle: Lifecycle;
  taskQueue: string;
  floorTaskQueue: string;
  worker: NodeService;
  floorWorker: NodeService;
  api: NodeService;
  apiUrl: string;
  /** Environment the API, worker and bare app share. */
  env: Record<string, string>;
  jwksUrl: string;
  token(principal: string): Promise<string>;
  createAccounts(count: number, concurrency?: number): Promise<Account[]>;
  close(): Promise<void>;
}

/** Our worker and API as separate processes (as deployed), the floor's worker beside them, and a lifecycle client in this process. */
export async function buildWorld(
  stack: LocalStack,
  runDir: string,
  log: (line: string) => void,
  options: { cpuProfDir?: string } = {},
): Promise<World> {
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const closeOne of closers.reverse()) await closeOne().catch(() => {});
  };
  try {
    // Our worker bundles its workflows itself, as deployed (its memory is measured); the floor's is prebuilt.
    const floor = await bundleWorkflowCode({
      workflowsPath: require.resolve('./floor/workflow'),
      logger: quietBundleLogger,
    });
    const floorBundlePath = join(runDir, 'floor-bundle.js');
    writeFileSync(floorBundlePath, floor.code);

    const schema = 'bench';
    const pool = createPool({ url: stack.env.DATABASE_URL!, schema, max: 20 });
    closers.push(() => pool.end());
    await migrate(pool, { schema });
    const secrets = createSecretClient({
      KEYVAULT_URL: stack.env.KEYVAULT_URL!,
      KEYVAULT_CA_CERT: stack.env.KEYVAULT_CA_CERT,
      KEYVAULT_CREDENTIAL: 'emulator',
      KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: true,
    });
    await primeSecretClient(secrets);
    const temporal = await connectTemporalClient({ address: stack.env.TEMPORAL_ADDRESS!, namespace: 'default' });
    closers.push(() => temporal.connection.close());

    const sink = await startAlertSink();
    closers.push(() => sink.close());
    const key = await loadOrCreateDevKey(join(runDir, 'dev-identity'));
    const jwks = await serveDevJwks(key);
    closers.push(() => jwks.close());

    const taskQueue = 'breakglass-bench';
    const floorTaskQueue = 'breakglass-bench-floor';
    const apiPort = await freePort();
    const env: Record<string, string> = {
      ...stack.env,
      NODE_ENV: 'development',
      DATABASE_SCHEMA: schema,
      TEMPORAL_TASK_QUEUE: taskQueue,
      ALERT_WEBHOOK_URLS: sink.url,
      AUTH_ISSUER: DEV_ISSUER,
      AUTH_AUDIENCE: DEV_AUDIENCE,
      AUTH_JWKS_URL: jwks.url,
      AUTH_ALGORITHMS: 'ES256',
      PORT: String(apiPort),
    };
    const ready = /ready on task queue/;
    const [worker, floorWorker, api] = await Promise.all([
      startNode('worker', 'src/worker-main.ts', env, ready, log),
      startNode(
        'floor-worker',
        'bench/floor/worker.ts',
        { ...env, BENCH_FLOOR_TASK_QUEUE: floorTaskQueue, BENCH_FLOOR_BUNDLE: floorBundlePath },
        ready,
        log,
      ),
      startNode(
        'api',
        'src/server.ts',
        env,
        /Server listening/,
        log,
        options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : [],
      ),
    ]);
    closers.push(
      () => worker.stop(),
      () => floorWorker.stop(),
      () => api.stop(),
    );

    const audit = createAuditRepository();
    const accounts = createAccountsRepository();
    const requests = createRequestsRepository();
    const lifecycle = createLifecycle({ pool, temporal, taskQueue, secrets, accounts, requests, audit });

    let accountCount = 0;
    const runId = randomBytes(3).toString('hex');
    async function createOne(): Promise<Account> {
      const n = (accountCount += 1);
      const secretName = `bench-${runId}-${n}`;
      await secrets.setSecret(secretName, `Gl4ss-${randomBytes(18).toString('base64url')}`);
      return registerAccount({ pool, secrets, accounts, audit }, PEOPLE.admin, {
        id: `bench-${runId}-${n}`,
        displayName: `Bench account ${n}`,
        upn: `bench${n}@contoso.onmicrosoft.com`,
        secretName,
        requesters: [PEOPLE.requester],
        approvers: PEOPLE.approvers,
        reviewers: [PEOPLE.reviewer],
        policy: POLICY,
      });
    }
    async function createAccounts(count: number, concurrency = 10): Promise<Account[]> {
      const made: Account[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(concurrency, count) }, async () => {
          while (next < count) {
            next += 1;
            made.push(await createOne());
          }
        }),
      );
      return made;
    }

    return {
      temporal,
      pool,
      secrets,
      lifecycle,
      taskQueue,
      floorTaskQueue,
      worker,
      floorWorker,
      api,
      apiUrl: `http://127.0.0.1:${apiPort}`,
      env,
      jwksUrl: jwks.url,
      token: (principal) => mintDevToken(key, { principal, ttlSeconds: 3600 }),
      createAccounts,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
