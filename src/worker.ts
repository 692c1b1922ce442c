import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { SecretClient } from '@azure/keyvault-secrets';
import { createActivities } from '../activities';
import type { Pool } from './db/pool';
import type { GraphApi } from './watch/graph-api';

export const WORKFLOWS_PATH = require.resolve('../workflows');

export interface WorkerDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  pool: Pool;
  secrets: SecretClient;
  alertSinks: Map<string, string>;
  /** Microsoft Graph for the watch (issue 13). */
  graph?: GraphApi;
  /** A pre-built bundle (tests build one for the whole run); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export function createWorker(deps: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities({ pool: deps.pool, secrets: deps.secrets, alertSinks: deps.alertSinks, graph: deps.graph }),
    // When a worker dies, its cached workflows' next tasks wait this long before another
    // worker may take them. The default (10 s) would keep a released credential open that
    // much past its window; a short wait costs only an occasional history replay.
    stickyQueueScheduleToStartTimeout: '2 seconds',
  });
}
