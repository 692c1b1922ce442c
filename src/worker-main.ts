import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { sinkMap } from './alerts/sinks';
import { loadConfigOrExit } from './config';
import { createPool } from './db/pool';
import { createSecretClient, primeSecretClient } from './keyvault/secret-client';
import { createWorker } from './worker';
import { Client, Connection } from '@temporalio/client';
import { createGraphApi } from './watch/graph-api';
import { createGraphClient } from './watch/graph-client';
import { graphTokenProvider } from './watch/graph-token';
import { ensureWatchSchedules } from './watch/schedules';

/** The worker process: connect, bundle, register, run. */
async function main() {
  const config = loadConfigOrExit();
  Runtime.install({ telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } } });
  const pool = createPool({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA });
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const secrets = createSecretClient(config);
  await primeSecretClient(secrets).catch((error: unknown) => process.stderr.write(`breakglass worker: Key Vault not reachable yet (${(error as Error).message}); activities will retry\n`));
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    pool,
    secrets,
    alertSinks: sinkMap(config.ALERT_WEBHOOK_URLS),
    graph: createGraphApi(createGraphClient({ baseUrl: config.GRAPH_URL, token: graphTokenProvider(config) })),
    ...(process.env.BREAKGLASS_WORKFLOW_BUNDLE ? { workflowBundle: { codePath: process.env.BREAKGLASS_WORKFLOW_BUNDLE } } : {}),
  });
  // The watch's Schedules (issue 13): created or updated to the configured intervals at every start.
  const scheduleConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  await ensureWatchSchedules(new Client({ connection: scheduleConnection, namespace: config.TEMPORAL_NAMESPACE }), {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    signinEvery: config.WATCH_SIGNIN_INTERVAL,
    signin: { lookBack: config.WATCH_LOOKBACK, grace: config.WATCH_GRACE, degradedAfter: config.WATCH_DEGRADED_AFTER },
    driftEvery: config.WATCH_DRIFT_INTERVAL,
  })
    // The worker still serves requests without the watch; the next start tries again, and the lack of runs is visible in readiness.
    .catch((error: unknown) => process.stderr.write(`breakglass worker: could not create the watch Schedules (${(error as Error).message})\n`))
    .finally(() => scheduleConnection.close());
  process.stdout.write(`breakglass worker ready on task queue ${config.TEMPORAL_TASK_QUEUE}\n`);
  try {
    await worker.run(); // SIGINT/SIGTERM shut it down gracefully
  } finally {
    await connection.close();
    await pool.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`breakglass worker: ${(error as Error).message}\n`);
  process.exit(1);
});
