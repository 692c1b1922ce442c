import type { AlertSeverity, AlertType } from '../src/domain/lifecycle';
import type { RequestView } from '../src/domain/request';

/** Inputs and results of activities. None of them may carry the credential: they are stored in history in clear. */

export interface RecordEventInput {
  eventId: string;
  at: string;
  actor: string;
  action: string;
  requestId: string;
  accountId: string;
  details: Record<string, unknown>;
  view: RequestView;
}

export interface SecretRef {
  secretName: string;
}

export interface SealResult {
  /** Versions whose state changed; names only, never values. */
  changedVersions: string[];
}

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

export interface BroadcastAlertInput {
  alert: Alert;
  /** The sink the alert is about, which is not asked to deliver it. */
  exceptSinkId?: string;
}

export interface DeliverAlertInput {
  sinkId: string;
  alert: Alert;
}
