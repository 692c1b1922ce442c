import { durationToMs } from './durations';
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
  /** How the caller authenticated, when the service's own session says so (e.g. ["passkey"]). */
  amr?: string[];
  /** When the caller authenticated (ISO time), from the service's own session. */
  authTime?: string;
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
  if (view.approvals.some((approval) => approval.approver === actor.id))
    return conflict('you have already decided on this request');
  if (view.status !== 'pending_approval')
    return conflict(`${inState(view)}; decisions are taken only while pending_approval`);
  if (approvalsReached(view)) return conflict('the request already has its approvals and is being released');
  return null;
}

export function mayCancel(view: RequestView, actor: Actor): Refusal | null {
  if (actor.id !== view.requester && !actor.isAdmin) return forbidden('only the requester or an admin can cancel');
  if (view.status !== 'pending_approval')
    return conflict(`${inState(view)}; only a pending_approval request can be cancelled`);
  if (approvalsReached(view)) return conflict('the request already has its approvals and is being released');
  return null;
}

export function mayReveal(view: RequestView, actor: Actor, nowMs: number): Refusal | null {
  if (actor.id !== view.requester) return forbidden('only the requester can reveal the credential');
  if (view.status !== 'released') return conflict(`${inState(view)}; the credential is revealed only while released`);
  if (view.releaseExpiresAt && nowMs >= Date.parse(view.releaseExpiresAt))
    return conflict('the release window has ended');
  if (view.closedBy) return conflict('the session is being closed');
  return null;
}

/**
 * Step-up for the reveal: when a policy asks for it, only a passkey session authenticated
 * within its freshness may reveal. The stricter of the request's copied policy and the
 * account's current one applies, so tightening an account takes effect at once.
 */
export function mayRevealStepUp(
  policies: Array<{ revealRequiresPasskey?: string } | undefined>,
  actor: Actor,
  nowMs: number,
): Refusal | null {
  const limits = policies
    .map((policy) => policy?.revealRequiresPasskey)
    .filter((value): value is string => Boolean(value));
  if (limits.length === 0) return null;
  const freshest = limits.reduce((a, b) => (durationToMs(a) <= durationToMs(b) ? a : b));
  const authMs = actor.authTime ? Date.parse(actor.authTime) : NaN;
  if (actor.amr?.includes('passkey') && Number.isFinite(authMs) && nowMs - authMs <= durationToMs(freshest))
    return null;
  return forbidden(
    `this account requires a passkey sign-in within the last ${freshest} to reveal the credential: sign in with your passkey ` +
      '(POST /v1/sessions/passkey/options, then POST /v1/sessions/passkey) and retry the reveal with that session token',
  );
}

export function mayClose(view: RequestView, actor: Actor): Refusal | null {
  if (actor.id !== view.requester && !actor.isAdmin)
    return forbidden('only the requester or an admin can close the session');
  if (view.status !== 'released') return conflict(`${inState(view)}; only a released session can be closed`);
  if (view.closedBy) return conflict('the session is already being closed');
  return null;
}

export function mayReview(view: RequestView, membership: Membership, actor: Actor): Refusal | null {
  if (actor.id === view.requester) return forbidden('the requester cannot review their own use');
  if (view.approvals.some((approval) => approval.approver === actor.id))
    return forbidden('an approver of this request cannot review it');
  if (!membership.reviewers.includes(actor.id)) return forbidden('only a reviewer of the account can review');
  if (view.status !== 'awaiting_review')
    return conflict(`${inState(view)}; a review is recorded only while awaiting_review`);
  return null;
}

export function mayRead(
  view: Pick<RequestView, 'requester'>,
  membership: Pick<Membership, 'approvers' | 'reviewers'>,
  actor: Actor & { isAuditor?: boolean },
): boolean {
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

/** Accounts (and the identity mappings that say who may act) are managed by admins only. */
export function mayManage(actor: Actor, what: 'accounts' | 'identity mappings'): Refusal | null {
  return actor.isAdmin ? null : forbidden(`only BreakGlass.Admin manages ${what}`);
}

/** The audit trail is read by admins and auditors. */
export function mayReadAudit(actor: Actor & { isAuditor?: boolean }): Refusal | null {
  return actor.isAdmin || actor.isAuditor
    ? null
    : forbidden('only BreakGlass.Admin or BreakGlass.Auditor read the audit trail');
}

/** Who sees an account: admins and auditors all, anyone else the accounts they belong to. */
export function maySeeAccount(membership: Membership, actor: Actor & { isAuditor?: boolean }): boolean {
  return (
    actor.isAdmin ||
    !!actor.isAuditor ||
    [...membership.requesters, ...membership.approvers, ...membership.reviewers].includes(actor.id)
  );
}
