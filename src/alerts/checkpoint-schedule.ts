import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';

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
  const spec = { intervals: [{ every: options.everyMs }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: CHECKPOINT_WORKFLOW_TYPE,
    taskQueue: options.taskQueue,
    workflowId: scheduleId,
    // A checkpoint that cannot finish (no sink takes it) must not pile up behind itself for days.
    workflowExecutionTimeout: Math.max(options.everyMs, 60_000),
  };
  // A missed checkpoint (cluster down) is simply taken at the next interval.
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule
      .getHandle(scheduleId)
      .update((previous) => ({ ...previous, spec, action, policies: { ...previous.policies, ...policies } }));
  }
  return scheduleId;
}
