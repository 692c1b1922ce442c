import { NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';

/** The floor's worker process: the bare workflow and a no-op activity, with our worker's options. */
async function main() {
  const { TEMPORAL_ADDRESS, BENCH_FLOOR_TASK_QUEUE, BENCH_FLOOR_BUNDLE } = process.env;
  if (!TEMPORAL_ADDRESS || !BENCH_FLOOR_TASK_QUEUE || !BENCH_FLOOR_BUNDLE)
    throw new Error('TEMPORAL_ADDRESS, BENCH_FLOOR_TASK_QUEUE and BENCH_FLOOR_BUNDLE are required');
  Runtime.install({ telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } } });
  const connection = await NativeConnection.connect({ address: TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: BENCH_FLOOR_TASK_QUEUE,
    workflowBundle: { codePath: BENCH_FLOOR_BUNDLE },
    activities: { noop: async () => {} },
    stickyQueueScheduleToStartTimeout: '2 seconds',
  });
  process.stdout.write(`breakglass worker ready on task queue ${BENCH_FLOOR_TASK_QUEUE}\n`);
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench floor worker: ${(error as Error).message}\n`);
  process.exit(1);
});
