import type { Alert } from '../src/domain/alert';
import type { AlertType } from '../src/domain/lifecycle';
import type { RequestView } from '../src/domain/request';

export type { Alert, AuditHead, DeliverAlertInput } from '../src/domain/alert';

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
  /** The event's alert, written to the alert outbox with it (workflows started before the outbox send their own). */
  alert?: { type: AlertType; summary: string };
}

export interface SecretRef {
  secretName: string;
}

export interface SealResult {
  /** Versions whose state changed; names only, never values. */
  changedVersions: string[];
}

export interface BroadcastAlertInput {
  alert: Alert;
  /** The sink the alert is about, which is not asked to deliver it. */
  exceptSinkId?: string;
}
