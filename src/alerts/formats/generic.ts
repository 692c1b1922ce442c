import type { AlertContent } from '../message';
import { actionOf } from '../message';

/**
 * Today's JSON alert (design.md, "Alerts") plus the chain head, the console link and the
 * action, so a SIEM keeps a copy of the audit chain's state outside the database.
 */
export function genericBody(alert: AlertContent) {
  return {
    type: alert.type,
    severity: alert.severity,
    requestId: alert.requestId,
    accountId: alert.accountId,
    actor: alert.actor,
    at: alert.at,
    summary: alert.summary,
    link: alert.link,
    action: actionOf(alert.type),
    auditHead: alert.auditHead,
  };
}
