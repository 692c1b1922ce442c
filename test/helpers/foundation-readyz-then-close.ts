import { buildApp } from '../../src/app';
import { createAppDeps } from '../../src/app-deps';
import { parseConfig } from '../../src/config';

/**
 * Run as its own process by test/routes/health.test.ts: builds the real app from the
 * environment, asks /readyz once, closes the app and its deps the way a graceful shutdown
 * does, then stays alive for BREAKGLASS_LINGER_MS. Prints the readiness status code on
 * stdout and exits 0, unless something left running by the probe blows up after the close.
 */
async function main() {
  const deps = createAppDeps(parseConfig(process.env));
  const app = await buildApp(deps);
  const response = await app.inject({ method: 'GET', url: '/readyz' });
  process.stdout.write(`readyz ${response.statusCode}\n`);
  await app.close();
  await deps.close();
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.BREAKGLASS_LINGER_MS ?? 8_000)));
  process.stdout.write('closed cleanly\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
