import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DriftAccountResult } from '../activities/watch-drift';
import { ALERT_TYPES, SYSTEM_ACTOR } from '../src/domain/lifecycle';

// Daily by Schedule and on demand: check each account's posture; a check that turns from pass
// to fail raises account.drift once (the activity compares with the stored result).
const { runDriftChecks } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '20 seconds',
    maximumAttempts: 3,
    nonRetryableErrorTypes: ['GraphUnavailable'],
  },
});

const { listAlertSinks, checkDrills } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

const { deliverAlert } = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

export interface DriftCheckInput {
  accountId?: string;
  /** How often drill.overdue repeats while no drill succeeds (default weekly). */
  drillRealert?: string;
}

export async function driftCheck(input: DriftCheckInput): Promise<DriftAccountResult[]> {
  const sinkIds = await listAlertSinks();
  const alerts: Promise<void>[] = [];
  // Drills first: they need no Graph, so an overdue drill is raised even while Graph is down.
  for (const drill of await checkDrills({ accountId: input.accountId, realert: input.drillRealert ?? 'P7D' })) {
    const at = new Date().toISOString();
    const summary = `${drill.upn}: no successful drill ${drill.lastSuccessfulAt ? `since ${drill.lastSuccessfulAt}` : 'yet'} (interval ${drill.interval}); run a drill (scenario drill) to prove the account works`;
    for (const sinkId of sinkIds) {
      alerts.push(
        deliverAlert({
          sinkId,
          alert: {
            eventId: `drill-overdue:${drill.accountId}:${at}`,
            type: 'drill.overdue',
            severity: ALERT_TYPES['drill.overdue'],
            requestId: '',
            accountId: drill.accountId,
            actor: SYSTEM_ACTOR,
            at,
            summary,
          },
        }),
      );
    }
  }
  await Promise.all(alerts.splice(0));
  const results = await runDriftChecks({ accountId: input.accountId });
  for (const result of results) {
    for (const name of result.newlyFailed) {
      const check = result.checks.find((c) => c.name === name)!;
      const summary = `${result.upn} drifted: ${name} failed (${check.detail}); fix it, then run a drill to prove the account still works`;
      for (const sinkId of sinkIds) {
        alerts.push(
          deliverAlert({
            sinkId,
            alert: {
              eventId: `drift:${result.accountId}:${name}:${result.checkedAt}`,
              type: 'account.drift',
              severity: ALERT_TYPES['account.drift'],
              requestId: '',
              accountId: result.accountId,
              actor: SYSTEM_ACTOR,
              at: result.checkedAt,
              summary,
            },
          }),
        );
      }
    }
  }
  await Promise.all(alerts);
  return results;
}
