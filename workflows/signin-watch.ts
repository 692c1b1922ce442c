import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  proxyActivities,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SigninPollResult, SigninWatchSettings } from '../activities/watch-types';
import { ALERT_TYPES, SYSTEM_ACTOR, type AlertType } from '../src/domain/lifecycle';
import { unexplainedSignIn } from './signin-case';

// One run reads Graph, records what is new and raises what must be raised. The Schedule starts
// the next run; a run that fails its activities is retried here, not by the Schedule.
const { pollSignIns } = proxyActivities<Activities>({
  startToCloseTimeout: '3 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds', maximumAttempts: 5 },
});

const { listAlertSinks, markSignInsHandled } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

const { deliverAlert } = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

export async function signinWatch(
  settings: SigninWatchSettings,
): Promise<Omit<SigninPollResult, 'pending'> & { handled: number }> {
  const sinkIds = await listAlertSinks();
  const run = await pollSignIns(settings);
  const at = new Date().toISOString();
  const alerts: Promise<void>[] = [];
  const alert = (eventId: string, type: AlertType, requestId: string, accountId: string, summary: string) => {
    for (const sinkId of sinkIds) {
      alerts.push(
        deliverAlert({
          sinkId,
          alert: { eventId, type, severity: ALERT_TYPES[type], requestId, accountId, actor: SYSTEM_ACTOR, at, summary },
        }),
      );
    }
  };

  for (const signIn of run.pending) {
    if (signIn.requestId) {
      alert(
        `signin:${signIn.signInId}`,
        'signin.observed',
        signIn.requestId,
        signIn.accountId,
        `${signIn.summary} (inside the release window of ${signIn.requestId})`,
      );
    } else if (signIn.case) {
      // The case raises the critical alert itself; its workflow id makes it one case per sign-in.
      try {
        await startChild(unexplainedSignIn, {
          workflowId: signIn.case.caseId,
          args: [signIn.case],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
    } else {
      alert(
        `signin:${signIn.signInId}`,
        'signin.unexpected',
        '',
        signIn.accountId,
        `${signIn.summary}, outside every release window: somebody is trying to use the account`,
      );
    }
  }

  const runId = workflowInfo().workflowId;
  if (run.transition === 'degraded') {
    alert(
      `${runId}:degraded`,
      'monitoring.degraded',
      '',
      '',
      `the sign-in watch has not reached Microsoft Graph for ${run.failures} runs (${run.error ?? 'unknown error'}); break-glass sign-ins are not being watched`,
    );
  }
  if (run.transition === 'recovered') {
    alert(
      `${runId}:recovered`,
      'monitoring.recovered',
      '',
      '',
      'the sign-in watch reaches Microsoft Graph again; sign-ins from the outage were read with the look-back',
    );
  }

  await Promise.all(alerts);
  if (run.pending.length > 0) await markSignInsHandled(run.pending.map((signIn) => signIn.signInId));
  const { pending, ...summary } = run;
  return { ...summary, handled: pending.length };
}
