import type { Client, ScheduleOptionsAction } from '@temporalio/client';
import { upsertSchedule } from '../temporal/schedules';
import type { SigninWatchSettings } from '../../activities/watch-types';
import { durationToMs } from '../domain/durations';

/**
 * The watch runs on Temporal Schedules, not on a timer loop of ours: the server fires each tick
 * once, SKIP drops a tick while the previous run is still going, and the Schedule outlives any
 * worker. Ids carry the task queue so several deployments (and tests) share one namespace.
 */

export const signinScheduleId = (taskQueue: string) => `signin-watch-${taskQueue}`;
export const driftScheduleId = (taskQueue: string) => `drift-check-${taskQueue}`;

export interface WatchScheduleOptions {
  taskQueue: string;
  signinEvery: string;
  signin: SigninWatchSettings;
  /** Absent: no drift schedule (e.g. a test about the sign-in watch only). */
  driftEvery?: string;
}

// A tick missed while the server was down is caught up once, not replayed many times.
const upsert = (client: Client, scheduleId: string, everyMs: number, action: ScheduleOptionsAction) =>
  upsertSchedule(client, scheduleId, everyMs, action, Math.max(10_000, everyMs));

/** Creates the Schedules, or brings existing ones to the configured interval and settings. */
export async function ensureWatchSchedules(client: Client, options: WatchScheduleOptions): Promise<void> {
  await upsert(client, signinScheduleId(options.taskQueue), durationToMs(options.signinEvery), {
    type: 'startWorkflow',
    workflowType: 'signinWatch',
    workflowId: signinScheduleId(options.taskQueue),
    taskQueue: options.taskQueue,
    args: [options.signin],
    workflowExecutionTimeout: '10 minutes',
  });
  if (options.driftEvery) {
    await upsert(client, driftScheduleId(options.taskQueue), durationToMs(options.driftEvery), {
      type: 'startWorkflow',
      workflowType: 'driftCheck',
      workflowId: driftScheduleId(options.taskQueue),
      taskQueue: options.taskQueue,
      args: [{}],
      workflowExecutionTimeout: '30 minutes',
    });
  }
}

export async function deleteWatchSchedules(client: Client, taskQueue: string): Promise<void> {
  for (const id of [signinScheduleId(taskQueue), driftScheduleId(taskQueue)]) {
    await client.schedule
      .getHandle(id)
      .delete()
      .catch(() => undefined);
  }
}
