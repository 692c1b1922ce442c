import type { CaseInput } from '../src/watch/case-messages';

/** Inputs and results of the watch activities; stored in workflow history in clear, so evidence only, never a secret. */

export interface SigninWatchSettings {
  /** How far before the cursor each read starts: sign-in logs arrive minutes late and out of order. */
  lookBack: string;
  /** How long after a window closed a sign-in still counts as that request's. */
  grace: string;
  /** Consecutive failed runs before monitoring.degraded is raised. */
  degradedAfter: number;
}

export interface PendingSignIn {
  signInId: string;
  accountId: string;
  requestId: string | null;
  succeeded: boolean;
  signedInAt: string;
  summary: string;
  /** Set for a successful sign-in outside every window: the case to open. */
  case: CaseInput | null;
}

export interface SigninPollResult {
  ok: boolean;
  error: string | null;
  accounts: number;
  newSignIns: number;
  failures: number;
  transition: 'degraded' | 'recovered' | null;
  pending: PendingSignIn[];
}

export interface CaseEventInput {
  view: import('../src/watch/case-messages').CaseView;
  action: 'case.opened' | 'case.overdue' | 'case.closed';
  actor: string;
  eventId: string;
  details: Record<string, unknown>;
}
