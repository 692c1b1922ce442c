import { ApplicationFailure, allHandlersFinished, condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { durationToMs } from '../src/domain/durations';
import { ALERT_TYPES, SYSTEM_ACTOR, type AlertType } from '../src/domain/lifecycle';
import { caseQuery, closeCaseUpdate, mayCloseCase, type CaseInput, type CaseView } from '../src/watch/case-messages';

// An unexplained sign-in: open until a reviewer of the account explains it, with the same
// overdue reminders as a request's post-use review.
const { listAlertSinks, recordCaseEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

const { deliverAlert } = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

const iso = (ms: number) => new Date(ms).toISOString();

export async function unexplainedSignIn(input: CaseInput): Promise<CaseView> {
  const openedMs = Date.now();
  const view: CaseView = {
    caseId: input.caseId,
    accountId: input.accountId,
    signInId: input.signInId,
    status: 'open',
    openedAt: iso(openedMs),
    dueAt: iso(openedMs + durationToMs(input.reviewDue)),
    reminders: 0,
    closedAt: null,
    closedBy: null,
    explanation: null,
  };
  const alerts: Promise<void>[] = [];
  let sinkIds: string[] = [];
  const alert = (eventId: string, type: AlertType, actor: string, summary: string) => {
    for (const sinkId of sinkIds) {
      alerts.push(
        deliverAlert({
          sinkId,
          alert: {
            eventId,
            type,
            severity: ALERT_TYPES[type],
            requestId: input.caseId,
            accountId: input.accountId,
            actor,
            at: iso(Date.now()),
            summary,
          },
        }),
      );
    }
  };

  let opened = false;
  let closeRecorded = false;
  setHandler(caseQuery, () => view);
  setHandler(
    closeCaseUpdate,
    async ({ actor, explanation }) => {
      view.status = 'closed';
      view.closedAt = iso(Date.now());
      view.closedBy = actor;
      view.explanation = explanation;
      await condition(() => opened && closeRecorded);
      return view;
    },
    {
      validator: ({ actor, explanation }) => {
        const refusal = mayCloseCase(view, input.reviewers, actor, explanation);
        if (refusal)
          throw ApplicationFailure.create({ type: refusal.type, message: refusal.reason, nonRetryable: true });
      },
    },
  );

  sinkIds = await listAlertSinks();
  await recordCaseEvent({
    view: { ...view, status: 'open', closedAt: null, closedBy: null, explanation: null },
    action: 'case.opened',
    actor: SYSTEM_ACTOR,
    eventId: `${input.caseId}:opened`,
    details: { signedInAt: input.signedInAt, summary: input.summary },
  });
  opened = true;
  alert(
    `${input.caseId}:opened`,
    'signin.unexpected',
    SYSTEM_ACTOR,
    `${input.summary}, outside every release window; case ${input.caseId} needs a reviewer's explanation`,
  );

  const closed = () => view.status === 'closed';
  if (!(await condition(closed, durationToMs(input.reviewDue)))) {
    do {
      view.reminders += 1;
      await recordCaseEvent({
        view,
        action: 'case.overdue',
        actor: SYSTEM_ACTOR,
        eventId: `${input.caseId}:overdue:${view.reminders}`,
        details: { reminder: view.reminders },
      });
      alert(
        `${input.caseId}:overdue:${view.reminders}`,
        'review.overdue',
        SYSTEM_ACTOR,
        `unexplained sign-in case ${input.caseId} is overdue (reminder ${view.reminders})`,
      );
    } while (!(await condition(closed, durationToMs(input.reviewReminder))));
  }

  await recordCaseEvent({
    view,
    action: 'case.closed',
    actor: view.closedBy!,
    eventId: `${input.caseId}:closed`,
    details: { explanation: view.explanation },
  });
  closeRecorded = true;
  await condition(allHandlersFinished);
  await Promise.all(alerts);
  return view;
}
