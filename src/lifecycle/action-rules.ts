import type { Account } from '../db/accounts-repository';
import { REFUSAL } from '../domain/lifecycle';
import type { RequestView } from '../domain/request';
import {
  mayCancel,
  mayClose,
  mayDecide,
  mayReveal,
  mayRevealStepUp,
  mayReview,
  type Actor,
  type Refusal,
} from '../domain/rules';

/**
 * The rules of each action on a request, checked against the account as it is now. The
 * lifecycle commands apply them before running an action, and GET /v1/requests/{id}/actions
 * answers with them, so the console offers exactly what the service would allow.
 */

/** Membership is checked against the account as it is now: a requester removed mid-flight can no longer act. */
export const stillRequester = (account: Account, actor: Actor): Refusal | null =>
  actor.isAdmin || account.requesters.includes(actor.id)
    ? null
    : { type: REFUSAL.forbidden, reason: 'you are no longer a requester of this account' };

type Rule = (view: RequestView, account: Account, actor: Actor, nowMs: number) => Refusal | null;

export type RequestAction = 'approve' | 'deny' | 'cancel' | 'reveal' | 'close' | 'review';

export const ACTION_RULES: Record<RequestAction, Rule> = {
  approve: (view, account, actor) => mayDecide(view, account, actor),
  deny: (view, account, actor) => mayDecide(view, account, actor),
  cancel: (view, account, actor) => mayCancel(view, actor) ?? stillRequester(account, actor),
  reveal: (view, account, actor, nowMs) =>
    mayReveal(view, actor, nowMs) ??
    stillRequester(account, { ...actor, isAdmin: false }) ??
    mayRevealStepUp([view.policy, account.policy], actor, nowMs),
  close: (view, account, actor) => mayClose(view, actor) ?? stillRequester(account, actor),
  review: (view, account, actor) => mayReview(view, account, actor),
};

/** Every action with null (allowed now) or the refusal the service would answer. */
export function availableActions(
  view: RequestView,
  account: Account,
  actor: Actor,
  nowMs: number,
): Record<RequestAction, Refusal | null> {
  return Object.fromEntries(
    Object.entries(ACTION_RULES).map(([name, rule]) => [name, rule(view, account, actor, nowMs)]),
  ) as Record<RequestAction, Refusal | null>;
}
