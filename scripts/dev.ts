import { join, resolve } from 'node:path';
import { type ChildProcess } from 'node:child_process';
import { startLocalStack } from '../devstack/stack';
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevKey, serveDevJwks } from '../devstack/dev-identity';
import { startService, stopService, waitFor } from '../devstack/processes';
import { parseConfig, ConfigError } from '../src/config';
import { createPool } from '../src/db/pool';
import { migrate } from '../src/db/migrate';

/**
 * Dev all-in-one: start whichever of PostgreSQL, Temporal and Key Vault is not configured
 * (state kept under .data/, so a second start finds it again), apply migrations, then run
 * the worker and the API in this terminal. Ctrl-C stops everything this started.
 */
const DATA_DIR = resolve(process.env.BREAKGLASS_DATA_DIR ?? '.data');
const log = (line: string) => process.stdout.write(`${line}\n`);

const children: ChildProcess[] = [];
const cleanups: Array<() => Promise<void>> = [];
let stopping = false;

async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log('stopping…');
  await Promise.allSettled(children.map((child) => stopService(child)));
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  log('stopped');
  process.exit(code);
}

async function main() {
  const started = Date.now();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stopAll(0));

  log(`breakglass dev: data in ${DATA_DIR}`);
  const stack = await startLocalStack({
    dataDir: DATA_DIR,
    persistTemporal: true,
    provided: { DATABASE_URL: process.env.DATABASE_URL, TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS, KEYVAULT_URL: process.env.KEYVAULT_URL },
    log: process.env.BREAKGLASS_DEV_VERBOSE ? log : () => {},
  });
  cleanups.push(stack.stop);

  const identity = process.env.AUTH_JWKS_URL ? null : await serveDevJwks(await loadOrCreateDevKey(join(DATA_DIR, 'dev-identity')));
  if (identity) cleanups.push(identity.close);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    ...stack.env,
    ...(identity ? { AUTH_ISSUER: DEV_ISSUER, AUTH_AUDIENCE: DEV_AUDIENCE, AUTH_JWKS_URL: identity.url } : {}),
  };
  let config;
  try {
    config = parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      log(`breakglass dev: ${error.message}`);
      return stopAll(78);
    }
    throw error;
  }

  const pool = createPool({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, max: 1 });
  const migrated = await migrate(pool, { schema: config.DATABASE_SCHEMA });
  await pool.end();
  log(migrated.applied.length ? `migrations applied: ${migrated.applied.join(', ')}` : 'migrations: up to date');

  
  for (const [name, entry] of [
    ['worker', 'src/worker-main.ts'],
    ['api', 'src/server.ts'],
  ] as const) {
    const child = startService(process.execPath, ['--import', 'tsx', entry], { name, env, log });
    child.once('exit', (code, signal) => {
      if (!stopping) {
        log(`${name} exited (${signal ?? code}); stopping the stack`);
        void stopAll(1);
      }
    });
    children.push(child);
  }
  const apiUrl = `http://${config.HOST}:${config.PORT}`;
  await waitFor('API', async () => (await fetch(`${apiUrl}/readyz`)).ok, 120_000);
  log(`breakglass dev ready in ${((Date.now() - started) / 1000).toFixed(1)} s: API ${apiUrl} (docs ${apiUrl}/docs)`);
  log(`  Temporal ${config.TEMPORAL_ADDRESS}  Key Vault ${config.KEYVAULT_URL}  Ctrl-C stops everything`);
}

main().catch((error: unknown) => {
  process.stderr.write(`breakglass dev: ${(error as Error).message ?? String(error)}\n`);
  void stopAll(1);
});
