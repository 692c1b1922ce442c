import pg from 'pg';
import { buildApp } from '../../src/app';
import { createAppDeps } from '../../src/app-deps';
import { parseConfig } from '../../src/config';

/**
 * Run as its own process by test/routes/health.test.ts: the real app from the environment
 * answers /readyz, then PostgreSQL ends the app's idle pooled connection (what a failover,
 * a restart or an administrator's pg_terminate_backend does), and /readyz is asked again.
 * The API must survive that and recover. Prints one line per step; exits 0 at the end.
 */
async function main() {
  const config = parseConfig(process.env);
  const deps = createAppDeps(config);
  const app = await buildApp(deps);
  const ask = async () => (await app.inject({ method: 'GET', url: '/readyz' })).statusCode;
  process.stdout.write(`before ${await ask()}\n`);

  // Only this process's own backend: other test files share the server.
  const { rows } = await deps.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const admin = new pg.Client({ connectionString: config.DATABASE_URL });
  await admin.connect();
  process.stdout.write(`terminating ${rows.map((row) => row.pid).join(',')}\n`);
  const killed = await admin.query<{ done: boolean }>(
    'SELECT pg_terminate_backend(pid) AS done FROM unnest($1::int[]) AS pid',
    [rows.map((row) => row.pid)],
  );
  process.stdout.write(`terminated ${killed.rows.filter((row) => row.done).length}\n`);
  await admin.end();

  await new Promise((resolve) => setTimeout(resolve, 1_000));
  process.stdout.write(`after ${await ask()}\n`);
  await app.close();
  await deps.close();
  process.stdout.write('survived\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
