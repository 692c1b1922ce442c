import type { SecretClient } from '@azure/keyvault-secrets';
import type { Connection } from '@temporalio/client';
import type { Pool } from '../db/pool';

export type Dependency = 'postgres' | 'temporal' | 'keyvault';

export interface DependencyStatus {
  name: Dependency;
  ok: boolean;
  latencyMs: number;
  error?: string;
}

const TIMEOUT_MS = 2_000;

function withTimeout<T>(work: (signal: AbortSignal) => Promise<T>, ms = TIMEOUT_MS): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([work(controller.signal), timeout]).finally(() => clearTimeout(timer));
}

async function check(name: Dependency, probe: (signal: AbortSignal) => Promise<unknown>): Promise<DependencyStatus> {
  const started = Date.now();
  try {
    await withTimeout(probe);
    return { name, ok: true, latencyMs: Date.now() - started };
  } catch (error) {
    // The first line only: enough to act on, no stack or internals.
    return {
      name,
      ok: false,
      latencyMs: Date.now() - started,
      error: String((error as Error).message ?? error)
        .split('\n')[0]!
        .slice(0, 200),
    };
  }
}

export function createReadinessChecks(deps: {
  pool: Pool;
  temporal: Connection;
  secrets: SecretClient;
  namespace: string;
}) {
  return async function checkAll(): Promise<DependencyStatus[]> {
    return Promise.all([
      check('postgres', () => deps.pool.query('SELECT 1')),
      check('temporal', (signal) =>
        deps.temporal.withAbortSignal(signal, () =>
          deps.temporal.workflowService.describeNamespace({ namespace: deps.namespace }),
        ),
      ),
      // Listing one page proves reachability, TLS trust and authorisation without reading any value.
      check('keyvault', (signal) =>
        deps.secrets.listPropertiesOfSecrets({ abortSignal: signal }).byPage({ maxPageSize: 1 }).next(),
      ),
    ]);
  };
}
