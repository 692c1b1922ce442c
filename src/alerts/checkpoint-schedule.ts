import type { Client } from '@temporalio/client';
import { upsertSchedule } from '../temporal/schedules';

export const CHECKPOINT_WORKFLOW_TYPE = 'auditCheckpoint';

export const checkpointScheduleId = (taskQueue: string) => `audit-checkpoint-${taskQueue}`;

/**
 * Creates the Temporal Schedule of the audit checkpoint, or brings an existing one in line with
 * the configured interval: every worker calls this at start, so it must be idempotent.
 */
export async function ensureCheckpointSchedule(
  client: Client,
  options: { taskQueue: string; everyMs: number },
): Promise<string> {
  const scheduleId = checkpointScheduleId(options.taskQueue);
  const action = {
    type: 'startWorkflow' as const,
    workflowType: CHECKPOINT_WORKFLOW_TYPE,
    taskQueue: options.taskQueue,
    workflowId: scheduleId,
    // A checkpoint that cannot finish (no sink takes it) must not pile up behind itself for days.
    workflowExecutionTimeout: Math.max(options.everyMs, 60_000),
  };
  // A missed checkpoint (cluster down) is simply taken at the next interval.
  await upsertSchedule(client, scheduleId, options.everyMs, action, '1 minute');
  return scheduleId;
}
