/**
 * FROZEN: the first version of the request workflow (type `breakglassRequest`), kept unchanged so
 * that requests started before the crash-safe version (`breakglassLifecycle`, workflows/lifecycle.ts)
 * replay and finish on the code they started with. New requests never start this type. Do not edit:
 * test/workflows/replay.test.ts replays its recorded histories (test/workflows/histories/v1/).
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { durationToMs } from '../../src/domain/durations';
import { ALERT_TYPES, SYSTEM_ACTOR, type AlertType } from '../../src/domain/lifecycle';
import {
  authorizeRevealUpdate,
  cancelUpdate,
  closeUpdate,
  decideUpdate,
  reviewUpdate,
  stateQuery,
} from '../../src/domain/messages';
import { initialView } from '../../src/domain/initial-view';
import type { BreakglassInput, RequestView } from '../../src/domain/request';
import {
  approvalsReached,
  mayCancel,
  mayClose,
  mayDecide,
  mayReveal,
  mayReview,
  type Refusal,
} from '../../src/domain/rules';

// Side effects that must eventually happen are retried until they do (no maximumAttempts).
const { recordEvent, unsealSecret, listAlertSinks } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

// Alerts retry quickly and forever: a sink that is down only delays them.
const { deliverAlert } = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

// The re-seal gives up after a few quick attempts so the workflow can raise the critical
// alert, then it tries again (see resealUntilDone): it never stops trying.
const { sealSecret } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 seconds', maximumAttempts: 3 },
});

const RESEAL_PAUSE_MS = [2_000, 5_000, 15_000, 30_000, 60_000];
const RESEAL_ALERT_EVERY = 10;
const UPDATE_SETTLE_WAIT = '10 seconds';

const iso = (ms: number) => new Date(ms).toISOString();

function refuse(refusal: Refusal | null): void {
  if (refusal) throw ApplicationFailure.create({ type: refusal.type, message: refusal.reason, nonRetryable: true });
}

export async function breakglassRequest(input: BreakglassInput): Promise<RequestView> {
  const view: RequestView = initialView(input);
  const alertsInFlight: Promise<void>[] = [];
  let sinkIds: string[] = [];
  // Handlers wait until the creation is recorded, so no event is audited or alerted before it.
  let started = false;
  let recordedVersion = 0;

  /** Appends to the timeline, then writes audit row and read model in one activity, then alerts. */
  async function emit(
    action: string,
    actor: string,
    details: Record<string, unknown>,
    alert?: { type: AlertType; summary: string },
  ) {
    const at = iso(Date.now());
    view.version += 1;
    view.timeline.push({
      at,
      action,
      actor,
      ...(typeof details.detail === 'string' ? { detail: details.detail } : {}),
    });
    const eventId = `${view.id}:${view.version}`;
    const snapshot = JSON.parse(JSON.stringify(view)) as RequestView;
    if (alert) raiseAlert(eventId, at, actor, alert.type, alert.summary);
    await recordEvent({
      eventId,
      at,
      actor,
      action,
      requestId: view.id,
      accountId: view.accountId,
      details,
      view: snapshot,
    });
    recordedVersion = Math.max(recordedVersion, snapshot.version);
  }

  // Alerts run beside the lifecycle: a sink that is down must not hold up a re-seal.
  function raiseAlert(eventId: string, at: string, actor: string, type: AlertType, summary: string) {
    for (const sinkId of sinkIds) {
      alertsInFlight.push(
        deliverAlert({
          sinkId,
          alert: {
            eventId,
            type,
            severity: ALERT_TYPES[type],
            requestId: view.id,
            accountId: view.accountId,
            actor,
            at,
            summary,
          },
        }),
      );
    }
  }

  // An accepted update waits briefly for the main loop to act on it, so the caller is
  // answered with the resulting state (released, awaiting_review, completed) when it is quick.
  // The caller is answered only once the resulting state is in the audit trail and read model.
  const settle = (done: () => boolean) =>
    condition(() => done() && recordedVersion >= view.version, UPDATE_SETTLE_WAIT);
  const whenStarted = () => condition(() => started);
  let closeRequested: { actor: string; summary: string } | null = null;

  setHandler(stateQuery, () => view);

  setHandler(
    decideUpdate,
    async ({ actor, decision, comment }) => {
      view.approvals.push({ approver: actor, decision, comment, at: iso(Date.now()) });
      if (decision === 'deny') view.status = 'denied';
      const count = view.approvals.filter((approval) => approval.decision === 'approve').length;
      await whenStarted();
      if (decision === 'deny') {
        await emit(
          'request.denied',
          actor,
          { comment },
          { type: 'request.denied', summary: `${actor} denied the request` },
        );
        return view;
      }
      await emit(
        'request.approved',
        actor,
        { comment, approvals: count, required: view.requiredApprovals },
        {
          type: 'request.approved',
          summary: `${actor} approved (${count} of ${view.requiredApprovals})`,
        },
      );
      if (approvalsReached(view)) await settle(() => view.status !== 'pending_approval');
      return view;
    },
    { validator: ({ actor }) => refuse(mayDecide(view, input.membership, { id: actor, isAdmin: false })) },
  );

  setHandler(
    cancelUpdate,
    async ({ actor, reason }) => {
      view.status = 'cancelled';
      view.cancelledBy = actor;
      view.cancelReason = reason;
      await whenStarted();
      await emit(
        'request.cancelled',
        actor,
        { reason },
        { type: 'request.cancelled', summary: `${actor} cancelled the request` },
      );
      return view;
    },
    { validator: ({ actor, isAdmin }) => refuse(mayCancel(view, { id: actor, isAdmin })) },
  );

  setHandler(
    authorizeRevealUpdate,
    async ({ actor }) => {
      view.revealCount += 1;
      await emit(
        'credential.revealed',
        actor,
        { reveal: view.revealCount },
        {
          type: 'credential.revealed',
          summary: `${actor} revealed the credential (reveal ${view.revealCount})`,
        },
      );
      return { secretName: input.secretName, releaseExpiresAt: view.releaseExpiresAt! };
    },
    { validator: ({ actor }) => refuse(mayReveal(view, { id: actor, isAdmin: false }, Date.now())) },
  );

  setHandler(
    closeUpdate,
    async ({ actor, summary }) => {
      closeRequested = { actor, summary };
      view.closedBy = actor;
      await settle(() => view.status !== 'released');
      return view;
    },
    { validator: ({ actor, isAdmin }) => refuse(mayClose(view, { id: actor, isAdmin })) },
  );

  let reviewed = false;
  setHandler(
    reviewUpdate,
    async ({ actor, ...review }) => {
      view.review = { reviewer: actor, ...review, at: iso(Date.now()) };
      reviewed = true;
      await settle(() => view.status === 'completed');
      return view;
    },
    { validator: ({ actor }) => refuse(mayReview(view, input.membership, { id: actor, isAdmin: false })) },
  );

  async function finish(): Promise<RequestView> {
    await condition(allHandlersFinished);
    await Promise.all(alertsInFlight);
    return view;
  }

  async function resealUntilDone(): Promise<void> {
    for (let failures = 0; ; failures += 1) {
      try {
        await sealSecret({ secretName: input.secretName });
        return;
      } catch {
        log.error('re-seal failed; retrying', { requestId: view.id, failures: failures + 1 });
        if (failures % RESEAL_ALERT_EVERY === 0) {
          raiseAlert(
            `${view.id}:reseal-failed:${failures + 1}`,
            iso(Date.now()),
            SYSTEM_ACTOR,
            'credential.reseal_failed',
            `re-sealing ${input.secretName} failed ${failures + 1} time(s); still retrying`,
          );
        }
        await sleep(RESEAL_PAUSE_MS[Math.min(failures, RESEAL_PAUSE_MS.length - 1)]!);
      }
    }
  }

  // --- pending_approval ---
  sinkIds = await listAlertSinks();
  await emit(
    'request.created',
    input.requester,
    { scenario: input.scenario, incidentRef: input.incidentRef, policy: input.policy },
    {
      type: 'request.created',
      summary: `${input.requester} requested break-glass access (${input.scenario})`,
    },
  );
  started = true;

  const decided = await condition(
    () => view.status !== 'pending_approval' || approvalsReached(view),
    Math.max(0, Date.parse(view.approvalExpiresAt) - Date.now()),
  );
  if (view.status === 'denied' || view.status === 'cancelled') return finish();
  if (!decided) {
    view.status = 'expired';
    await emit(
      'request.expired',
      SYSTEM_ACTOR,
      {},
      { type: 'request.expired', summary: 'no decision before the approval timeout' },
    );
    return finish();
  }

  // --- released ---
  const unsealed = await unsealSecret({ secretName: input.secretName });
  const releasedMs = Date.now();
  view.status = 'released';
  view.releasedAt = iso(releasedMs);
  view.releaseExpiresAt = iso(releasedMs + durationToMs(input.policy.releaseWindow));
  await emit(
    'credential.released',
    SYSTEM_ACTOR,
    { releaseExpiresAt: view.releaseExpiresAt, versions: unsealed.changedVersions },
    {
      type: 'credential.released',
      summary: `credential of ${input.accountId} released until ${view.releaseExpiresAt}`,
    },
  );

  const closedByPerson = await condition(() => closeRequested !== null, durationToMs(input.policy.releaseWindow));
  if (!closedByPerson) view.closedBy = SYSTEM_ACTOR;
  await resealUntilDone();

  // --- awaiting_review ---
  const closedMs = Date.now();
  const closer = closeRequested ?? {
    actor: SYSTEM_ACTOR,
    summary: 'release window ended; session closed automatically',
  };
  view.status = 'awaiting_review';
  view.closedAt = iso(closedMs);
  view.closedBy = closer.actor;
  view.closeSummary = closer.summary;
  view.reviewDueAt = iso(closedMs + durationToMs(input.policy.reviewDue));
  await emit(
    'session.closed',
    closer.actor,
    { detail: closer.summary, byWindowEnd: !closedByPerson },
    {
      type: 'session.closed',
      summary: closedByPerson ? `${closer.actor} closed the session` : 'release window ended; credential re-sealed',
    },
  );

  if (!(await condition(() => reviewed, durationToMs(input.policy.reviewDue)))) {
    let reminder = 0;
    do {
      reminder += 1;
      await emit(
        'review.overdue',
        SYSTEM_ACTOR,
        { reminder },
        {
          type: 'review.overdue',
          summary: `post-use review of ${view.id} is overdue (reminder ${reminder})`,
        },
      );
    } while (!(await condition(() => reviewed, durationToMs(input.policy.reviewReminder))));
  }

  // --- completed ---
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
  return finish();
}
