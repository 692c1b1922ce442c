import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptionsAction,
} from '@temporalio/client';
import type { Duration } from '@temporalio/common';

/**
 * Creates a Schedule that fires every `everyMs`, or brings an existing one in line with it: every
 * worker calls this at start, so it is idempotent. SKIP drops a tick while the previous run is
 * still going; a tick missed while the server was down is caught up within `catchupWindow`.
 */
export async function upsertSchedule(
  client: Client,
  scheduleId: string,
  everyMs: number,
  action: ScheduleOptionsAction,
  catchupWindow: Duration,
): Promise<void> {
  const spec = { intervals: [{ every: everyMs }] };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule
      .getHandle(scheduleId)
      .update((previous) => ({ ...previous, spec, action, policies: { ...previous.policies, ...policies } }));
  }
}
