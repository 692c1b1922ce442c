import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { FAILURE } from '../src/domain/lifecycle';
import {
  authorizeRevealUpdate,
  cancelUpdate,
  closeUpdate,
  creationUpdate,
  decideUpdate,
  reviewUpdate,
  stateQuery,
} from '../src/domain/messages';
import type { BreakglassInput, RequestView } from '../src/domain/request';
import {
  approvalsReached,
  mayCancel,
  mayClose,
  mayDecide,
  mayReveal,
  mayReview,
  type Refusal,
} from '../src/domain/rules';
import type { AlertSpec, Recorder } from './recorder';

/** What the handlers tell the lifecycle's main line (and what it tells the creation handler). */
export interface LifecycleProgress {
  creation: 'pending' | 'created' | 'refused';
  /**
   * The approval that reached the required count, left for the main line to record in the same
   * task as the unseal it authorises (runs since the combined-effects patch).
   */
  decidingApproval: { actor: string; details: Record<string, unknown>; alert: AlertSpec } | null;
  refusedBecause: string;
  closeRequested: { actor: string; summary: string } | null;
  reviewed: boolean;
}

interface HandlerContext {
  input: BreakglassInput;
  view: RequestView;
  progress: LifecycleProgress;
  emit: Recorder['emit'];
  /** Waits (bounded) until done() holds and what was emitted is recorded. */
  settle: (done: () => boolean) => Promise<boolean>;
  /** The deciding approval is recorded with the release (see LifecycleProgress.decidingApproval). */
  approvalWithRelease: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();

function refuse(refusal: Refusal | null): void {
  if (refusal) throw ApplicationFailure.create({ type: refusal.type, message: refusal.reason, nonRetryable: true });
}

/**
 * The request's query and updates. Each validator checks the rules against the membership copied
 * at creation (the API checked them against the account as it is now); each handler changes the
 * view and records the event before answering.
 */
export function setLifecycleHandlers({
  input,
  view,
  progress,
  emit,
  settle,
  approvalWithRelease,
}: HandlerContext): void {
  setHandler(stateQuery, () => view);

  setHandler(creationUpdate, async () => {
    await condition(() => progress.creation !== 'pending');
    if (progress.creation === 'refused')
      throw ApplicationFailure.create({
        type: FAILURE.accountBusy,
        message: progress.refusedBecause,
        nonRetryable: true,
      });
    return view;
  });

  setHandler(
    decideUpdate,
    async ({ actor, decision, comment }) => {
      view.approvals.push({ approver: actor, decision, comment, at: iso(Date.now()) });
      if (decision === 'deny') {
        view.status = 'denied';
        await emit(
          'request.denied',
          actor,
          { comment },
          { type: 'request.denied', summary: `${actor} denied the request` },
        );
        return view;
      }
      const count = view.approvals.filter((approval) => approval.decision === 'approve').length;
      const details = { comment, approvals: count, required: view.requiredApprovals };
      const alert: AlertSpec = {
        type: 'request.approved',
        summary: `${actor} approved (${count} of ${view.requiredApprovals})`,
      };
      if (approvalWithRelease && approvalsReached(view)) progress.decidingApproval = { actor, details, alert };
      else await emit('request.approved', actor, details, alert);
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
      progress.closeRequested = { actor, summary };
      view.closedBy = actor;
      await settle(() => view.status !== 'released');
      return view;
    },
    { validator: ({ actor, isAdmin }) => refuse(mayClose(view, { id: actor, isAdmin })) },
  );

  setHandler(
    reviewUpdate,
    async ({ actor, ...review }) => {
      view.review = { reviewer: actor, ...review, at: iso(Date.now()) };
      progress.reviewed = true;
      await settle(() => view.status === 'completed');
      return view;
    },
    { validator: ({ actor }) => refuse(mayReview(view, input.membership, { id: actor, isAdmin: false })) },
  );
}
