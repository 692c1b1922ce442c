import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { Alert } from '../activities/types';

/**
 * Alerts that belong to no request (passkey enrolment, confirmation, revocation, suspected
 * clones): one short workflow per alert, so delivery is retried like every other alert and
 * is never dropped while a sink is down.
 */

const { listAlertSinks } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

const { deliverAlert } = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

export async function serviceAlert(alert: Alert): Promise<void> {
  const sinks = await listAlertSinks();
  await Promise.all(sinks.map((sinkId) => deliverAlert({ sinkId, alert })));
}
