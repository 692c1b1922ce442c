import { Client } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { SecretClient } from '@azure/keyvault-secrets';
import { createActivities } from '../activities';
import { startFailingReport } from '../activities/alerts';
import { createAlertOutbox } from './alerts/alert-outbox';
import { createAlertDelivery } from './alerts/delivery';
import type { Sink } from './alerts/sinks';
import type { Pool } from './db/pool';
import type { GraphApi } from './watch/graph-api';

export const WORKFLOWS_PATH = require.resolve('../workflows');
export const MAX_CACHED_WORKFLOWS = 100;

export interface WorkerDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  pool: Pool;
  secrets: SecretClient;
  alertSinks: Map<string, Sink>;
  /** CONSOLE_URL and ALERT_FAILING_AFTER when configured; the outbox's sweep interval for tests. */
  alerts?: { consoleUrl?: string | undefined; failingAfterMs?: number; outboxSweepMs?: number };
  /** Microsoft Graph for the watch (issue 13). */
  graph?: GraphApi;
  /** A pre-built bundle (tests build one for the whole run); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/** The Temporal worker and, beside it, the sender of the alert outbox; run and stopped together. */
export interface BreakglassWorker {
  run(): Promise<void>;
  shutdown(): void;
  getState(): ReturnType<Worker['getState']>;
}

export async function createWorker(deps: WorkerDeps): Promise<BreakglassWorker> {
  const client = new Client({ connection: deps.connection, namespace: deps.namespace });
  const delivery = createAlertDelivery({ sinks: deps.alertSinks, pool: deps.pool, ...deps.alerts });
  const outbox = createAlertOutbox({
    pool: deps.pool,
    delivery,
    report: (failing) => startFailingReport(client, deps.taskQueue, failing),
    // The same logger as the activities' (Runtime.install decides where it writes).
    log: {
      info: (message, meta) => Runtime.instance().logger.info(message, meta),
      warn: (message, meta) => Runtime.instance().logger.warn(message, meta),
    },
    ...(deps.alerts?.outboxSweepMs ? { sweepEveryMs: deps.alerts.outboxSweepMs } : {}),
  });
  const worker = await Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities({
      pool: deps.pool,
      secrets: deps.secrets,
      delivery,
      graph: deps.graph,
      outbox,
    }),
    // When a worker dies, its cached workflows' next tasks wait this long before another
    // worker may take them. The default (10 s) would keep a released credential open that
    // much past its window; a short wait costs only an occasional history replay.
    stickyQueueScheduleToStartTimeout: '2 seconds',
    // Requests in awaiting_review sleep for days; keeping each one's state in memory (about 0.75 MB
    // of worker RSS each, measured with 1,000 open) bought nothing. Beyond this many, the least
    // recently used is evicted and replayed from its history at its next step (a few ms for a
    // whole lifecycle's history); a tenant has a handful of requests active at once, not a hundred.
    maxCachedWorkflows: MAX_CACHED_WORKFLOWS,
  });
  return {
    async run() {
      outbox.start();
      try {
        await worker.run();
      } finally {
        await outbox.stop();
      }
    },
    shutdown: () => worker.shutdown(),
    getState: () => worker.getState(),
  };
}
