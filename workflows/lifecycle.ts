import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyLocalActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RecordEventInput } from '../activities/types';
import { durationToMs } from '../src/domain/durations';
import { FAILURE, SYSTEM_ACTOR } from '../src/domain/lifecycle';
import { initialView } from '../src/domain/initial-view';
import type { BreakglassInput, RequestView, ResumeState } from '../src/domain/request';
import { approvalsReached } from '../src/domain/rules';
import { appendEvent, markClosed, markReleased, type EventDescription } from '../src/domain/view-changes';
import { createRecorder } from './recorder';
import { setLifecycleHandlers, type LifecycleProgress } from './lifecycle-handlers';

// Key Vault calls take milliseconds: short timeouts, so a worker that dies mid-call delays the
// release by seconds, not by a long timeout. The unseal is retried until it succeeds.
const UNSEAL_RETRY = { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' };
// The re-seal gives up after a few quick attempts so the workflow can raise the critical
// alert, then it tries again (see reseal): it never stops trying.
const RESEAL_RETRY = { ...UNSEAL_RETRY, maximumInterval: '2 seconds', maximumAttempts: 3 };

const { unsealSecret } = proxyLocalActivities<Activities>({ startToCloseTimeout: '5 seconds', retry: UNSEAL_RETRY });
const { sealSecret } = proxyLocalActivities<Activities>({ startToCloseTimeout: '5 seconds', retry: RESEAL_RETRY });

// The same two, each with the event that records it, in one task (runs started since patch CURRENT).
// Longer than the calls alone: the records may wait for the audit chain's head. A dead worker's
// task is taken over after the 5 s workflow-task timeout, whatever these are.
const { releaseCredential } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: UNSEAL_RETRY,
});
const { resealAndClose } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: RESEAL_RETRY,
});

const RESEAL_PAUSE_MS = [2_000, 5_000, 15_000, 30_000, 60_000];
const RESEAL_ALERT_EVERY = 10;
// An accepted update waits this long for the resulting state before answering with what it has;
// the API's deadline is longer, so a person is answered, not timed out.
const UPDATE_SETTLE_WAIT = '4 seconds';
const DEFAULT_HISTORY_LIMIT = 10_000;
/**
 * Runs started since this patch send their alerts through the alert outbox (no deliverAlert
 * activities in their history) and unseal or re-seal in the same task as the event that records
 * it; runs started before replay as they ran.
 */
const CURRENT = 'alerts-outbox-and-combined-effects';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * One request, from creation to completed review (see the state diagram in the README):
 * pending_approval → released → awaiting_review → completed, or denied / expired / cancelled.
 * Started by the API with an update-with-start that answers once the creation is recorded, so
 * the request's first row is written by the workflow itself: a crash of the API at any moment
 * leaves either a whole request or none.
 */
export async function breakglassLifecycle(input: BreakglassInput): Promise<RequestView> {
  const view: RequestView = input.resume?.view ?? initialView(input);
  const current = patched(CURRENT);
  const recorder = createRecorder(
    view,
    { sinkIds: input.resume?.sinkIds ?? null, undeliveredAlerts: input.resume?.undeliveredAlerts ?? [] },
    current,
  );
  const { emit } = recorder;
  const historyLimit = input.limits?.historyEvents ?? DEFAULT_HISTORY_LIMIT;

  const progress: LifecycleProgress = {
    creation: input.resume ? 'created' : 'pending',
    refusedBecause: '',
    decidingApproval: null,
    closeRequested: input.resume ? input.resume.closer : null,
    reviewed: false,
  };

  // The caller is answered only once the resulting state is in the audit trail and read model.
  const settle = (done: () => boolean) => condition(() => done() && recorder.settled(), UPDATE_SETTLE_WAIT);

  setLifecycleHandlers({ input, view, progress, emit, settle, approvalWithRelease: current });

  async function finish(): Promise<RequestView> {
    await condition(allHandlersFinished);
    await recorder.delivered();
    return view;
  }

  /** A long wait (Key Vault down for days, a review never done) must not grow one run's history without bound. */
  async function continueIfLong(state: Omit<ResumeState, 'view' | 'sinkIds' | 'undeliveredAlerts'>): Promise<void> {
    const info = workflowInfo();
    if (info.historyLength < historyLimit && !info.continueAsNewSuggested) return;
    await condition(() => recorder.settled() && allHandlersFinished());
    log.info('continuing as new', { requestId: view.id, phase: state.phase, historyLength: info.historyLength });
    await continueAsNew<typeof breakglassLifecycle>({
      ...input,
      resume: { ...state, view, sinkIds: recorder.knownSinks(), undeliveredAlerts: recorder.undeliveredAlerts() },
    });
  }

  // --- pending_approval ---
  async function create(): Promise<boolean> {
    try {
      await emit(
        'request.created',
        input.requester,
        { scenario: input.scenario, incidentRef: input.incidentRef, policy: input.policy },
        {
          type: 'request.created',
          summary: `${input.requester} requested break-glass access (${input.scenario})`,
        },
      );
    } catch (error) {
      const cause = error instanceof ActivityFailure ? error.cause : error;
      if (!(cause instanceof ApplicationFailure && cause.type === FAILURE.accountBusy)) throw error;
      progress.creation = 'refused';
      progress.refusedBecause = cause.message;
      return false;
    }
    progress.creation = 'created';
    return true;
  }

  /** Resolves to the outcome of the approval phase: released goes on, anything else ends the request. */
  async function awaitDecision(): Promise<'approved' | 'ended'> {
    const decided = await condition(
      () => view.status !== 'pending_approval' || approvalsReached(view),
      Math.max(0, Date.parse(view.approvalExpiresAt) - Date.now()),
    );
    if (view.status === 'denied' || view.status === 'cancelled') return 'ended';
    if (!decided) {
      view.status = 'expired';
      await emit(
        'request.expired',
        SYSTEM_ACTOR,
        {},
        { type: 'request.expired', summary: 'no decision before the approval timeout' },
      );
      return 'ended';
    }
    // Nothing happens to the secret until the approvals that authorise it are in the trail.
    await condition(recorder.settled);
    return 'approved';
  }

  // --- released ---
  /** Applies an event an activity has recorded (stamped with the time its side effect succeeded). */
  function applyRecorded(event: EventDescription, at: string): void {
    appendEvent(view, event.action, event.actor, at, event.details);
  }

  async function release(): Promise<void> {
    if (current) {
      const deciding = progress.decidingApproval;
      let approval: RecordEventInput | undefined;
      if (deciding) {
        // Recorded first, in the same task: the unseal still follows the approval that authorises it.
        const at = iso(Date.now());
        appendEvent(view, 'request.approved', deciding.actor, at, deciding.details);
        approval = {
          eventId: `${view.id}:${view.version}`,
          at,
          actor: deciding.actor,
          action: 'request.approved',
          requestId: view.id,
          accountId: view.accountId,
          details: deciding.details,
          view,
          alert: deciding.alert,
        };
      }
      const released = await releaseCredential({
        secretName: input.secretName,
        view,
        ...(approval ? { approval } : {}),
      });
      applyRecorded(markReleased(view, released.at, released.changedVersions), released.at);
      return;
    }
    const unsealed = await unsealSecret({ secretName: input.secretName });
    const event = markReleased(view, iso(Date.now()), unsealed.changedVersions);
    await emit(event.action, event.actor, event.details, event.alert);
  }

  /** Holds the release until the requester closes it or the window ends; says who closed it. */
  async function holdRelease(): Promise<{ actor: string; summary: string; byWindowEnd: boolean }> {
    const remaining = Math.max(0, Date.parse(view.releaseExpiresAt!) - Date.now());
    const closedByPerson = await condition(() => progress.closeRequested !== null, remaining);
    if (closedByPerson) return { ...progress.closeRequested!, byWindowEnd: false };
    view.closedBy = SYSTEM_ACTOR;
    return { actor: SYSTEM_ACTOR, summary: 'release window ended; session closed automatically', byWindowEnd: true };
  }

  /** Re-seals until it succeeds; resolves true when the closing of the session was recorded with it. */
  async function reseal(closer: ResumeState['closer'], failuresSoFar: number): Promise<boolean> {
    for (let failures = failuresSoFar; ; failures += 1) {
      try {
        if (!current) {
          await sealSecret({ secretName: input.secretName });
          return false;
        }
        // A reveal still being recorded goes into the trail before the close.
        await condition(recorder.settled);
        const closed = await resealAndClose({ secretName: input.secretName, view, closer });
        applyRecorded(markClosed(view, closed.at, closer), closed.at);
        return true;
      } catch (error) {
        // Sealed, but not recorded (PostgreSQL down): closeSession records it with its own retries.
        if (current && recordFailedAfterSeal(error)) return false;
        log.error('re-seal failed; retrying', { requestId: view.id, failures: failures + 1 });
        if (failures % RESEAL_ALERT_EVERY === 0) {
          await recorder.alert(`${view.id}:reseal-failed:${failures + 1}`, iso(Date.now()), SYSTEM_ACTOR, {
            type: 'credential.reseal_failed',
            summary: `re-sealing ${input.secretName} failed ${failures + 1} time(s); still retrying`,
          });
        }
        await sleep(RESEAL_PAUSE_MS[Math.min(failures, RESEAL_PAUSE_MS.length - 1)]!);
        await continueIfLong({ phase: 'resealing', closer, resealFailures: failures + 1, reminder: 0 });
      }
    }
  }

  // --- awaiting_review ---
  async function closeSession(closer: ResumeState['closer']): Promise<void> {
    const event = markClosed(view, iso(Date.now()), closer);
    await emit(event.action, event.actor, event.details, event.alert);
  }

  async function awaitReview(closer: ResumeState['closer'], remindersSoFar: number): Promise<void> {
    if (remindersSoFar === 0) {
      const remaining = Math.max(0, Date.parse(view.reviewDueAt!) - Date.now());
      if (await condition(() => progress.reviewed, remaining)) return;
    } else if (await condition(() => progress.reviewed, durationToMs(input.policy.reviewReminder))) {
      return;
    }
    for (let reminder = remindersSoFar + 1; ; reminder += 1) {
      await emit(
        'review.overdue',
        SYSTEM_ACTOR,
        { reminder },
        { type: 'review.overdue', summary: `post-use review of ${view.id} is overdue (reminder ${reminder})` },
      );
      if (await condition(() => progress.reviewed, durationToMs(input.policy.reviewReminder))) return;
      await continueIfLong({ phase: 'review_overdue', closer, resealFailures: 0, reminder });
    }
  }

  // --- completed ---
  async function complete(): Promise<void> {
    view.status = 'completed';
    const review = view.review!;
    await emit(
      'review.completed',
      review.reviewer,
      { ...review, detail: review.findings },
      {
        type: 'review.completed',
        summary: `${review.reviewer} completed the post-use review`,
      },
    );
  }

  const resume = input.resume;
  let closer: ResumeState['closer'];
  let closed = false;
  if (!resume) {
    if (!(await create())) {
      // The request never existed: the caller is told why, and nothing was recorded.
      await condition(allHandlersFinished);
      throw ApplicationFailure.create({
        type: FAILURE.accountBusy,
        message: progress.refusedBecause,
        nonRetryable: true,
      });
    }
    if ((await awaitDecision()) === 'ended') return finish();
    await release();
    closer = await holdRelease();
    closed = await reseal(closer, 0);
  } else {
    closer = resume.closer;
    if (resume.phase === 'resealing') closed = await reseal(closer, resume.resealFailures);
  }
  if (resume?.phase !== 'review_overdue' && !closed) await closeSession(closer);
  await awaitReview(closer, resume?.phase === 'review_overdue' ? resume.reminder : 0);
  await complete();
  return finish();
}

function recordFailedAfterSeal(error: unknown): boolean {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  return cause instanceof ApplicationFailure && cause.type === FAILURE.recordFailed;
}
