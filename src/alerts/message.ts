import type { Alert, AuditHead } from '../../activities/types';
import type { AlertType } from '../domain/lifecycle';

/** What every format renders: the alert as the contract defines it, plus the chain head and the console link. */
export type AlertContent = Omit<Alert, 'auditHead'> & {
  /** The audit chain head when the alert was sent (or, for audit.checkpoint, the checkpoint itself). */
  auditHead: AuditHead;
  /** `${CONSOLE_URL}/requests/<id>`, when the console URL is configured and the alert is about a request. */
  link: string | null;
};

const TITLES: Record<AlertType, string> = {
  'request.created': 'Break-glass access requested',
  'request.approved': 'Break-glass request approved',
  'request.denied': 'Break-glass request denied',
  'request.expired': 'Break-glass request expired unapproved',
  'request.cancelled': 'Break-glass request cancelled',
  'credential.released': 'Break-glass credential RELEASED',
  'credential.revealed': 'Break-glass credential REVEALED',
  'session.closed': 'Break-glass session closed and credential re-sealed',
  'credential.reseal_failed': 'Re-sealing the break-glass credential FAILED',
  'review.overdue': 'Post-use review overdue',
  'review.completed': 'Post-use review completed',
  'alert.delivery_failing': 'An alert sink is failing',
  'audit.checkpoint': 'Audit chain checkpoint',
  'passkey.enrolled': 'New passkey enrolled: confirmation needed',
  'passkey.confirmed': 'Passkey confirmed',
  'passkey.revoked': 'Passkey revoked',
  'passkey.clone_suspected': 'Passkey CLONE suspected: sign-in refused',
  'signin.observed': 'Sign-in of the break-glass account during its release',
  'signin.unexpected': 'UNEXPLAINED sign-in of a break-glass account',
  'monitoring.degraded': 'Sign-in watch cannot reach Microsoft Graph',
  'monitoring.recovered': 'Sign-in watch recovered',
  'account.drift': 'Break-glass account drifted from its required posture',
  'drill.overdue': 'Break-glass drill overdue',
};

/** What the reader can do about it, written on the link. */
const ACTIONS: Record<AlertType, string> = {
  'request.created': 'Approve or deny',
  'request.approved': 'Open the request',
  'request.denied': 'Open the request',
  'request.expired': 'Open the request',
  'request.cancelled': 'Open the request',
  'credential.released': 'Check this use is expected',
  'credential.revealed': 'Check this use is expected',
  'session.closed': 'Review the session',
  'credential.reseal_failed': 'Disable the secret in Key Vault now',
  'review.overdue': 'Record the review',
  'review.completed': 'Read the review',
  'alert.delivery_failing': 'Check the sink configuration',
  'audit.checkpoint': 'Keep this hash; check it with GET /v1/audit/verify?checkpoint=',
  'passkey.enrolled': 'Confirm it only if its owner enrolled it',
  'passkey.confirmed': 'Check the confirmation was expected',
  'passkey.revoked': 'Check the revocation was expected',
  'passkey.clone_suspected': 'Revoke the passkey and investigate',
  'signin.observed': 'Open the request',
  'signin.unexpected': 'Explain this sign-in now',
  'monitoring.degraded': 'Check the Graph permissions and network',
  'monitoring.recovered': 'Check nothing was missed',
  'account.drift': 'Fix the account, then run a drill',
  'drill.overdue': 'Schedule a drill',
};

export const titleOf = (type: AlertType): string => TITLES[type];
export const actionOf = (type: AlertType): string => ACTIONS[type];

export function consoleLink(consoleUrl: string | undefined, requestId: string | null): string | null {
  if (!consoleUrl || !requestId) return null;
  return `${consoleUrl.replace(/\/+$/, '')}/requests/${encodeURIComponent(requestId)}`;
}

/** The labelled facts every human-facing format shows: what, which account, who, when. */
export function factsOf(alert: AlertContent): Array<{ title: string; value: string }> {
  return [
    { title: 'Event', value: alert.type },
    { title: 'Severity', value: alert.severity },
    ...(alert.accountId ? [{ title: 'Account', value: alert.accountId }] : []),
    ...(alert.requestId ? [{ title: 'Request', value: alert.requestId }] : []),
    { title: 'By', value: alert.actor },
    { title: 'At', value: alert.at },
    // The head is for machines (generic, PagerDuty details); people see it only on the checkpoint.
    ...(alert.type === 'audit.checkpoint'
      ? [{ title: 'Audit head', value: `seq ${alert.auditHead.seq} ${alert.auditHead.hash}` }]
      : []),
  ];
}

/** One line for notifications and fallbacks. */
export function headline(alert: AlertContent): string {
  return `[${alert.severity.toUpperCase()}] ${titleOf(alert.type)}: ${alert.summary}`;
}
