import { durationToMs } from './durations';
import { SYSTEM_ACTOR, type AlertType } from './lifecycle';
import type { RequestView } from './request';

/**
 * The changes to a request's view that both the workflow and the activities that stamp an event
 * with the time its side effect succeeded (the unseal, the re-seal) make: the same functions on
 * both sides, so the recorded view and the workflow's own are the same.
 */

const iso = (ms: number) => new Date(ms).toISOString();

/** The next event of the view: its version and its timeline entry. */
export function appendEvent(
  view: RequestView,
  action: string,
  actor: string,
  at: string,
  details: Record<string, unknown>,
): void {
  view.version += 1;
  view.timeline.push({ at, action, actor, ...(typeof details.detail === 'string' ? { detail: details.detail } : {}) });
}

export interface EventDescription {
  action: string;
  actor: string;
  details: Record<string, unknown>;
  alert: { type: AlertType; summary: string };
}

/** The credential is released from `at` for the policy's window. */
export function markReleased(view: RequestView, at: string, versions: string[]): EventDescription {
  view.status = 'released';
  view.releasedAt = at;
  view.releaseExpiresAt = iso(Date.parse(at) + durationToMs(view.policy.releaseWindow));
  return {
    action: 'credential.released',
    actor: SYSTEM_ACTOR,
    details: { releaseExpiresAt: view.releaseExpiresAt, versions },
    alert: {
      type: 'credential.released',
      summary: `credential of ${view.accountId} released until ${view.releaseExpiresAt}`,
    },
  };
}

export interface Closer {
  actor: string;
  summary: string;
  byWindowEnd: boolean;
}

/** The credential is re-sealed and the session closed at `at`; the review is due after the policy's delay. */
export function markClosed(view: RequestView, at: string, closer: Closer): EventDescription {
  view.status = 'awaiting_review';
  view.closedAt = at;
  view.closedBy = closer.actor;
  view.closeSummary = closer.summary;
  view.reviewDueAt = iso(Date.parse(at) + durationToMs(view.policy.reviewDue));
  return {
    action: 'session.closed',
    actor: closer.actor,
    details: { detail: closer.summary, byWindowEnd: closer.byWindowEnd },
    alert: {
      type: 'session.closed',
      summary: closer.byWindowEnd ? 'release window ended; credential re-sealed' : `${closer.actor} closed the session`,
    },
  };
}
