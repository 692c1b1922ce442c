import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { ensureCheckpointSchedule } from './alerts/checkpoint-schedule';
import { configuredSinks } from './alerts/sinks';
import { loadConfigOrExit } from './config';
import { createPool } from './db/pool';
import { durationToMs } from './domain/durations';
import { createSecretClient, primeSecretClient } from './keyvault/secret-client';
import { bundleWorkflowsInChildProcess } from './temporal/bundle-workflows';
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
  await primeSecretClient(secrets).catch((error: unknown) =>
    process.stderr.write(
      `breakglass worker: Key Vault not reachable yet (${(error as Error).message}); activities will retry\n`,
    ),
  );
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    pool,
    secrets,
    alertSinks: configuredSinks(config),
    alerts: { consoleUrl: config.CONSOLE_URL, failingAfterMs: durationToMs(config.ALERT_FAILING_AFTER) },
    graph: createGraphApi(createGraphClient({ baseUrl: config.GRAPH_URL, token: graphTokenProvider(config) })),
    workflowBundle: process.env.BREAKGLASS_WORKFLOW_BUNDLE
      ? { codePath: process.env.BREAKGLASS_WORKFLOW_BUNDLE }
      : { code: await bundleWorkflowsInChildProcess() },
  });
  // The daily audit checkpoint: one Temporal Schedule per task queue, created or updated idempotently.
  // In the background: a failure or a slow answer here must not keep the worker (and every break-glass release) from running.
  void ensureCheckpointSchedule(new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }), {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    everyMs: durationToMs(config.AUDIT_CHECKPOINT_EVERY),
  }).catch((error: unknown) =>
    process.stderr.write(
      `breakglass worker: audit checkpoint schedule not set (${(error as Error).message}); the next start tries again\n`,
    ),
  );
  // The watch's Schedules (issue 13): created or updated to the configured intervals at every start.
  const scheduleConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  await ensureWatchSchedules(new Client({ connection: scheduleConnection, namespace: config.TEMPORAL_NAMESPACE }), {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    signinEvery: config.WATCH_SIGNIN_INTERVAL,
    signin: { lookBack: config.WATCH_LOOKBACK, grace: config.WATCH_GRACE, degradedAfter: config.WATCH_DEGRADED_AFTER },
    driftEvery: config.WATCH_DRIFT_INTERVAL,
  })
    // The worker still serves requests without the watch; the next start tries again, and the lack of runs is visible in readiness.
    .catch((error: unknown) =>
      process.stderr.write(`breakglass worker: could not create the watch Schedules (${(error as Error).message})\n`),
    )
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
