import { buildApp } from './app';
import { createAppDeps } from './app-deps';
import { loadConfigOrExit } from './config';
import { migrate } from './db/migrate';
import { loggerOptions } from './logging';
import { primeSecretClient } from './keyvault/secret-client';

/** The API process: validate configuration, apply migrations, listen; close everything on SIGINT/SIGTERM. */
async function main() {
  const config = loadConfigOrExit();
  const deps = createAppDeps(config);
  await migrate(deps.pool, { schema: config.DATABASE_SCHEMA });
  await primeSecretClient(deps.secrets).catch(() => {}); // readiness reports Key Vault if it is down
  const app = await buildApp(deps, { logger: loggerOptions(config) });
  app.addHook('onClose', () => deps.close());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      app.log.info({ signal }, 'shutting down');
      void app.close().then(() => process.exit(0));
    });
  }
  await app.listen({ port: config.PORT, host: config.HOST });
}

main().catch((error: unknown) => {
  process.stderr.write(`breakglass api: ${(error as Error).message}\n`);
  process.exit(1);
});
