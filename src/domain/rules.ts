import { REFUSAL, type RefusalType } from './lifecycle';
import type { Membership, RequestView } from './request';

/**
 * Who may do what, as pure functions over the request and a membership. The workflow's
 * update validators call them with the membership copied at creation; the API calls them
 * with the account as it is now. A refusal names the rule so the person refused can act.
 */

export interface Refusal {
  type: RefusalType;
  reason: string;
}

export interface Actor {
  id: string;
  isAdmin: boolean;
}

const forbidden = (reason: string): Refusal => ({ type: REFUSAL.forbidden, reason });
const conflict = (reason: string): Refusal => ({ type: REFUSAL.conflict, reason });
const inState = (view: RequestView) => `the request is ${view.status}`;

export function approvalsReached(view: RequestView): boolean {
  return view.approvals.filter((approval) => approval.decision === 'approve').length >= view.requiredApprovals;
}

export function mayDecide(view: RequestView, membership: Membership, actor: Actor): Refusal | null {
  if (actor.id === view.requester) return forbidden('the requester cannot approve or deny their own request');
  if (!membership.approvers.includes(actor.id)) return forbidden('only an approver of the account can approve or deny');
  if (view.approvals.some((approval) => approval.approver === actor.id)) return conflict('you have already decided on this request');
  if (view.status !== 'pending_approval') return conflict(`${inState(view)}; decisions are taken only while pending_approval`);
  if (approvalsReached(view)) return conflict('the request already has its approvals and is being released');
  return null;
}

export function mayCancel(view: RequestView, actor: Actor): Refusal | null {
  if (actor.id !== view.requester && !actor.isAdmin) return forbidden('only the requester or an admin can cancel');
  if (view.status !== 'pending_approval') return conflict(`${inState(view)}; only a pending_approval request can be cancelled`);
  if (approvalsReached(view)) return conflict('the request already has its approvals and is being released');
  return null;
}

export function mayReveal(view: RequestView, actor: Actor, nowMs: number): Refusal | null {
  if (actor.id !== view.requester) return forbidden('only the requester can reveal the credential');
  if (view.status !== 'released') return conflict(`${inState(view)}; the credential is revealed only while released`);
  if (view.releaseExpiresAt && nowMs >= Date.parse(view.releaseExpiresAt)) return conflict('the release window has ended');
  if (view.closedBy) return conflict('the session is being closed');
  return null;
}

export function mayClose(view: RequestView, actor: Actor): Refusal | null {
  if (actor.id !== view.requester && !actor.isAdmin) return forbidden('only the requester or an admin can close the session');
  if (view.status !== 'released') return conflict(`${inState(view)}; only a released session can be closed`);
  if (view.closedBy) return conflict('the session is already being closed');
  return null;
}

export function mayReview(view: RequestView, membership: Membership, actor: Actor): Refusal | null {
  if (actor.id === view.requester) return forbidden('the requester cannot review their own use');
  if (view.approvals.some((approval) => approval.approver === actor.id)) return forbidden('an approver of this request cannot review it');
  if (!membership.reviewers.includes(actor.id)) return forbidden('only a reviewer of the account can review');
  if (view.status !== 'awaiting_review') return conflict(`${inState(view)}; a review is recorded only while awaiting_review`);
  return null;
}

export function mayRead(view: Pick<RequestView, 'requester'>, membership: Membership, actor: Actor & { isAuditor?: boolean }): boolean {
  return (
    actor.isAdmin ||
    actor.isAuditor ||
    actor.id === view.requester ||
    membership.approvers.includes(actor.id) ||
    membership.reviewers.includes(actor.id)
  );
}

export function mayCreate(membership: Membership, actor: Actor): Refusal | null {
  if (!membership.requesters.includes(actor.id)) return forbidden('only a requester of the account can request access');
  return null;
}
