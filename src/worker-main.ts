import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { ensureCheckpointSchedule } from './alerts/checkpoint-schedule';
import { configuredSinks } from './alerts/sinks';
import { loadConfigOrExit } from './config';
import { createPool } from './db/pool';
import { durationToMs } from './domain/durations';
import { createSecretClient, primeSecretClient } from './keyvault/secret-client';
import { bundleWorkflowsInChildProcess } from './temporal/bundle-workflows';
import { createWorker } from './worker';

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
    alertSinks: configuredSinks(config),
    alerts: { consoleUrl: config.CONSOLE_URL, failingAfterMs: durationToMs(config.ALERT_FAILING_AFTER) },
    workflowBundle: process.env.BREAKGLASS_WORKFLOW_BUNDLE ? { codePath: process.env.BREAKGLASS_WORKFLOW_BUNDLE } : { code: await bundleWorkflowsInChildProcess() },
  });
  // The daily audit checkpoint: one Temporal Schedule per task queue, created or updated idempotently.
  // In the background: a failure or a slow answer here must not keep the worker (and every break-glass release) from running.
  void ensureCheckpointSchedule(new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }), {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    everyMs: durationToMs(config.AUDIT_CHECKPOINT_EVERY),
  }).catch((error: unknown) => process.stderr.write(`breakglass worker: audit checkpoint schedule not set (${(error as Error).message}); the next start tries again\n`));
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
