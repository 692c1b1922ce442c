import type { DeliverAlertInput } from '../../activities/types';
import type { RequestStatus, Scenario } from './lifecycle';

/** Types of the request as the workflow holds it and the read model stores it. No credential, ever. */

export interface PolicySnapshot {
  requiredApprovals: number;
  approvalTimeout: string;
  releaseWindow: string;
  reviewDue: string;
  reviewReminder: string;
}

export interface Approval {
  approver: string;
  decision: 'approve' | 'deny';
  comment: string | null;
  at: string;
}

export interface Review {
  reviewer: string;
  actionsAppropriate: boolean;
  signInLogsReviewed: boolean;
  credentialRotated: boolean;
  findings: string;
  followUpTicket: string;
  at: string;
}

export interface TimelineEntry {
  at: string;
  action: string;
  actor: string;
  detail?: string;
}

export interface RequestView {
  id: string;
  accountId: string;
  requester: string;
  scenario: Scenario;
  justification: string;
  incidentRef: string | null;
  status: RequestStatus;
  createdAt: string;
  policy: PolicySnapshot;
  approvals: Approval[];
  requiredApprovals: number;
  approvalExpiresAt: string;
  releasedAt: string | null;
  releaseExpiresAt: string | null;
  revealCount: number;
  closedAt: string | null;
  closedBy: string | null;
  closeSummary: string | null;
  reviewDueAt: string | null;
  review: Review | null;
  cancelledBy: string | null;
  cancelReason: string | null;
  timeline: TimelineEntry[];
  /** Bumped on every change; the read model ignores a projection older than what it holds. */
  version: number;
}

/** Who belongs to the account, as copied into the request when it was created. */
export interface Membership {
  requesters: string[];
  approvers: string[];
  reviewers: string[];
}

/** Bounds of a workflow run; tests shorten them, production uses the defaults. */
export interface WorkflowLimits {
  /** History length after which a run that is waiting (re-seal retries, review reminders) continues as new. */
  historyEvents?: number;
}

/** Where a run that continued as new picks up: the view, who closed, and the loop it was in. */
export interface ResumeState {
  phase: 'resealing' | 'review_overdue';
  view: RequestView;
  closer: { actor: string; summary: string; byWindowEnd: boolean };
  resealFailures: number;
  reminder: number;
  sinkIds: string[] | null;
  /** Alerts still to be delivered to a sink, re-sent by the new run so none is dropped. */
  undeliveredAlerts: DeliverAlertInput[];
}

export interface BreakglassInput {
  requestId: string;
  accountId: string;
  secretName: string;
  requester: string;
  scenario: Scenario;
  justification: string;
  incidentRef: string | null;
  createdAt: string;
  policy: PolicySnapshot;
  membership: Membership;
  limits?: WorkflowLimits;
  /** Present only in a run that continued as new. */
  resume?: ResumeState;
}
