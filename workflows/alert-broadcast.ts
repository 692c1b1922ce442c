import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { BroadcastAlertInput } from '../activities/types';

const { listAlertSinks } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

// Same policy as the lifecycle's alerts: retried until the sink takes it.
const { deliverAlert } = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

/**
 * One alert that belongs to no request (passkey enrolment and clones, a failing sink, ...) to
 * every sink but the one it is about, retried until delivered; routing happens per sink in deliverAlert.
 */
export async function broadcastAlert({ alert, exceptSinkId }: BroadcastAlertInput): Promise<void> {
  const sinkIds = (await listAlertSinks()).filter((sinkId) => sinkId !== exceptSinkId);
  await Promise.all(sinkIds.map((sinkId) => deliverAlert({ sinkId, alert })));
}
