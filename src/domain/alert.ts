import type { AlertSeverity, AlertType } from './lifecycle';

/** An alert as the workflows raise it and the sinks receive it (rendered per format in src/alerts). */
export interface Alert {
  eventId: string;
  type: AlertType;
  severity: AlertSeverity;
  /** Null for service events (audit.checkpoint, alert.delivery_failing). */
  requestId: string | null;
  accountId: string | null;
  actor: string;
  at: string;
  summary: string;
  /** Set by audit.checkpoint: the head it certifies. Other alerts carry the head read when they are sent. */
  auditHead?: AuditHead;
}

export interface AuditHead {
  seq: number;
  hash: string;
}

export interface DeliverAlertInput {
  sinkId: string;
  alert: Alert;
}
