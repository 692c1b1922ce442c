/**
 * The vocabulary of the lifecycle, shared by workflow, worker, API and tests.
 * Plain constants only: this file is bundled into the deterministic workflow sandbox.
 */

export const DEFAULT_TASK_QUEUE = 'breakglass';
export const WORKFLOW_TYPE = 'breakglassLifecycle';
/** Requests started before the crash-safe version run this type to their end (workflows/legacy/). */
export const LEGACY_WORKFLOW_TYPE = 'breakglassRequest';

export const REQUEST_STATUSES = [
  'pending_approval',
  'released',
  'awaiting_review',
  'completed',
  'denied',
  'expired',
  'cancelled',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export const OPEN_STATUSES: readonly RequestStatus[] = ['pending_approval', 'released'];

export const SCENARIOS = [
  'conditional_access_lockout',
  'mfa_outage',
  'federation_outage',
  'pim_unavailable',
  'admin_compromise',
  'baseline_policy_lockout',
  'drill',
  'other',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const ALERT_TYPES = {
  'request.created': 'info',
  'request.approved': 'info',
  'request.denied': 'warning',
  'request.expired': 'warning',
  'request.cancelled': 'info',
  'credential.released': 'critical',
  'credential.revealed': 'critical',
  'session.closed': 'info',
  'credential.reseal_failed': 'critical',
  'review.overdue': 'warning',
  'review.completed': 'info',
  // Passkeys: a new way into the most dangerous credential (src/auth/passkeys.ts).
  'passkey.enrolled': 'high',
  'passkey.confirmed': 'info',
  'passkey.revoked': 'warning',
  'passkey.clone_suspected': 'critical',
  // Service events, not tied to one request (no requestId).
  'alert.delivery_failing': 'warning',
  'audit.checkpoint': 'info',
  // Watching the accounts (issue 13)
  'signin.observed': 'info',
  'signin.unexpected': 'critical',
  'monitoring.degraded': 'critical',
  'monitoring.recovered': 'info',
  'account.drift': 'warning',
  'drill.overdue': 'warning',
} as const;
export type AlertType = keyof typeof ALERT_TYPES;
export type AlertSeverity = (typeof ALERT_TYPES)[AlertType];
export const ALERT_SEVERITIES = ['info', 'warning', 'high', 'critical'] as const satisfies readonly AlertSeverity[];

/** Failure types raised by the workflow's validators; the API maps them to HTTP statuses. */
export const REFUSAL = {
  forbidden: 'Forbidden', // the actor may never do this on this request (403)
  conflict: 'Conflict', // the actor may, but not in the request's current state (409)
} as const;

/** Failure types raised by activities and workflows that are not a person's refusal. */
export const FAILURE = {
  /** The account already has a request that is pending_approval or released (the read model's unique index said so). */
  accountBusy: 'AccountBusy',
  /** The re-seal failed, so nothing was recorded; the workflow goes on trying (and alerting). */
  sealFailed: 'SealFailed',
  /** The re-seal held but its record failed; the workflow records the close with the recorder's own retries. */
  recordFailed: 'RecordFailedAfterSeal',
} as const;
export type RefusalType = (typeof REFUSAL)[keyof typeof REFUSAL];

export const SYSTEM_ACTOR = 'system';
export const BROADCAST_ALERT_WORKFLOW_TYPE = 'broadcastAlert';
