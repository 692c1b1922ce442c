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
  requestId: string;
  accountId: string;
  actor: string;
  at: string;
  summary: string;
}

export interface DeliverAlertInput {
  sinkId: string;
  alert: Alert;
}
