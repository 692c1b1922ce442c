import type { SecretClient } from '@azure/keyvault-secrets';
import type { Client } from '@temporalio/client';
import { createAuditRepository } from './audit/audit-repository';
import { createAuth, type Auth } from './auth';
import type { Config } from './config';
import { createAccountsRepository } from './db/accounts-repository';
import { createPool, type Pool } from './db/pool';
import { createRequestReadCache } from './db/request-read-cache';
import { createRequestsRepository } from './db/requests-repository';
import { createSecretClient } from './keyvault/secret-client';
import { createLifecycle, type Lifecycle } from './lifecycle/commands';
import { createAccountCommands, type AccountCommands } from './accounts/commands';
import { apiConnectionOptions } from './temporal/client';
import { Client as TemporalClient, Connection } from '@temporalio/client';

/** One pool, one Temporal client and one Key Vault client per process, shared by every request. */
export interface AppDeps {
  config: Config;
  pool: Pool;
  temporal: Client;
  healthConnection: Connection;
  secrets: SecretClient;
  accounts: ReturnType<typeof createAccountsRepository>;
  requests: ReturnType<typeof createRequestsRepository>;
  audit: ReturnType<typeof createAuditRepository>;
  lifecycle: Lifecycle;
  accountCommands: AccountCommands;
  auth: Auth;
  close(): Promise<void>;
}

export function createAppDeps(config: Config): AppDeps {
  const pool = createPool({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA });
  // Lazy: the API starts (and reports not-ready) while Temporal is down, instead of crash-looping.
  const connection = Connection.lazy(apiConnectionOptions(config.TEMPORAL_ADDRESS));
  const temporal = new TemporalClient({ connection, namespace: config.TEMPORAL_NAMESPACE });
  // Readiness probes must not leave retries running after they give up: no retry interceptor.
  const healthConnection = Connection.lazy({
    address: config.TEMPORAL_ADDRESS,
    connectTimeout: 5_000,
    interceptors: [],
  });
  const secrets = createSecretClient(config);
  const accounts = createAccountsRepository();
  const requests = createRequestsRepository();
  const audit = createAuditRepository();
  const readCache = createRequestReadCache(pool, requests, {
    url: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    log: (message) => process.stderr.write(`breakglass: ${message}\n`),
  });
  readCache.start();
  const lifecycle = createLifecycle({
    readCache,
    pool,
    temporal,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    secrets,
    accounts,
    requests,
    audit,
  });
  const auth = createAuth({ config, pool, temporal, audit });
  return {
    config,
    pool,
    temporal,
    healthConnection,
    secrets,
    accounts,
    requests,
    audit,
    lifecycle,
    accountCommands: createAccountCommands({
      pool,
      secrets,
      accounts,
      audit,
      auditRefusal: lifecycle.auditRefusal,
      accountChanged: readCache.forgetAll,
    }),
    auth,
    async close() {
      await Promise.allSettled([connection.close(), healthConnection.close(), readCache.stop(), pool.end()]);
    },
  };
}
