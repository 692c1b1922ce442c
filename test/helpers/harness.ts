import { randomBytes } from 'node:crypto';
import { NativeConnection, Runtime, DefaultLogger, makeTelemetryFilterString } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { SecretClient } from '@azure/keyvault-secrets';
import { sinkMap } from '../../src/alerts/sinks';
import { registerAccount } from '../../src/accounts/register';
import { createAuditRepository } from '../../src/audit/audit-repository';
import { createAccountsRepository, type Account } from '../../src/db/accounts-repository';
import { migrate } from '../../src/db/migrate';
import { createPool, type Pool } from '../../src/db/pool';
import { createRequestsRepository } from '../../src/db/requests-repository';
import type { PolicySnapshot } from '../../src/domain/request';
import { createSecretClient, primeSecretClient } from '../../src/keyvault/secret-client';
import { createLifecycle, type Lifecycle } from '../../src/lifecycle/commands';
import { connectTemporalClient } from '../../src/temporal/client';
import { createWorker } from '../../src/worker';
import { AlertSink } from './alert-sink';
import type { GraphApi } from '../../src/watch/graph-api';
import { testStack, type TestStack } from './stack-env';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export const FAST_POLICY: PolicySnapshot = {
  requiredApprovals: 2,
  approvalTimeout: 'PT30S',
  releaseWindow: 'PT20S',
  reviewDue: 'PT20S',
  reviewReminder: 'PT5S',
};

export const PEOPLE = {
  requester: 'alice',
  approver1: 'bob',
  approver2: 'carol',
  approver3: 'dave',
  reviewer: 'erin',
  admin: 'root-admin',
  stranger: 'mallory',
};

export interface Harness {
  id: string;
  stack: TestStack;
  schema: string;
  taskQueue: string;
  pool: Pool;
  secrets: SecretClient;
  temporal: Client;
  sink: AlertSink;
  lifecycle: Lifecycle;
  audit: ReturnType<typeof createAuditRepository>;
  accounts: ReturnType<typeof createAccountsRepository>;
  requests: ReturnType<typeof createRequestsRepository>;
  /** A registered account with a fresh, sealed secret; secretValue is what Key Vault holds. */
  createAccount(options?: {
    policy?: Partial<PolicySnapshot>;
    members?: Partial<Pick<Account, 'requesters' | 'approvers' | 'reviewers'>>;
  }): Promise<{
    account: Account;
    secretValue: string;
  }>;
  startWorker(): Promise<{ stop(): Promise<void> }>;
}

/** The configuration environment of this harness's isolated world, for an API or worker built on it. */
export function harnessEnv(h: Pick<Harness, 'stack' | 'schema' | 'taskQueue'>): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: h.stack.env.DATABASE_URL,
    DATABASE_SCHEMA: h.schema,
    TEMPORAL_ADDRESS: h.stack.env.TEMPORAL_ADDRESS,
    TEMPORAL_TASK_QUEUE: h.taskQueue,
    KEYVAULT_URL: h.stack.env.KEYVAULT_URL,
    KEYVAULT_CA_CERT: h.stack.env.KEYVAULT_CA_CERT,
    KEYVAULT_CREDENTIAL: 'emulator',
    KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: 'true',
  };
}

let runtimeInstalled = false;
function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
  });
}

/**
 * One isolated world per test file on the shared services: its own schema, task queue,
 * secret names and alert sink, so files run in parallel without seeing each other.
 */
export async function setupHarness(
  t: Teardown,
  options: { worker?: boolean; graph?: GraphApi; alerts?: { consoleUrl?: string } } = {},
): Promise<Harness> {
  quietRuntime();
  const stack = await testStack();
  const id = randomBytes(4).toString('hex');
  const schema = `t_${id}`;
  const taskQueue = `breakglass-test-${id}`;
  const pool = createPool({ url: stack.env.DATABASE_URL, schema, max: 5 });
  await migrate(pool, { schema });
  const secrets = createSecretClient({
    KEYVAULT_URL: stack.env.KEYVAULT_URL,
    KEYVAULT_CA_CERT: stack.env.KEYVAULT_CA_CERT,
    KEYVAULT_CREDENTIAL: 'emulator',
    KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: true,
  });
  await primeSecretClient(secrets);
  const temporal = await connectTemporalClient({ address: stack.env.TEMPORAL_ADDRESS, namespace: 'default' });
  const sink = new AlertSink();
  await sink.up();
  const audit = createAuditRepository();
  const accounts = createAccountsRepository();
  const requests = createRequestsRepository();
  const lifecycle = createLifecycle({ pool, temporal, taskQueue, secrets, accounts, requests, audit });

  const workers: Array<{ stop(): Promise<void> }> = [];
  async function startWorker() {
    const connection = await NativeConnection.connect({ address: stack.env.TEMPORAL_ADDRESS });
    const worker = await createWorker({
      connection,
      namespace: 'default',
      taskQueue,
      pool,
      secrets,
      alertSinks: sinkMap([sink.url]),
      graph: options.graph,
      ...(options.alerts ? { alerts: options.alerts } : {}),
      workflowBundle: { codePath: stack.workflowBundlePath },
    });
    const running = worker.run();
    const handle = {
      async stop() {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
        await connection.close();
      },
    };
    workers.push(handle);
    return handle;
  }
  if (options.worker !== false) await startWorker();

  let accountCount = 0;
  async function createAccount(opts: Parameters<Harness['createAccount']>[0] = {}) {
    const n = (accountCount += 1);
    const secretName = `bg-${id}-${n}`;
    const secretValue = `Gl4ss-${randomBytes(18).toString('base64url')}`;
    await secrets.setSecret(secretName, secretValue);
    const account = await registerAccount({ pool, secrets, accounts, audit }, PEOPLE.admin, {
      id: `acct-${id}-${n}`,
      displayName: `Emergency access ${n}`,
      upn: `breakglass${n}@contoso.onmicrosoft.com`,
      secretName,
      requesters: opts.members?.requesters ?? [PEOPLE.requester],
      approvers: opts.members?.approvers ?? [PEOPLE.approver1, PEOPLE.approver2, PEOPLE.approver3],
      reviewers: opts.members?.reviewers ?? [PEOPLE.reviewer, PEOPLE.approver1],
      policy: { ...FAST_POLICY, ...opts.policy },
    });
    return { account, secretValue };
  }

  t.teardown(async () => {
    await Promise.allSettled(workers.map((worker) => worker.stop()));
    await sink.down();
    await temporal.connection.close();
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await pool.end();
  });

  return {
    id,
    stack,
    schema,
    taskQueue,
    pool,
    secrets,
    temporal,
    sink,
    lifecycle,
    audit,
    accounts,
    requests,
    createAccount,
    startWorker,
  };
}
