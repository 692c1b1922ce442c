import type { DeliverAlertInput } from './alert';
import type { z } from 'zod';
import type { Scenario } from './lifecycle';
import type {
  approvalSchema,
  recordedReviewSchema,
  requestViewSchema,
  reviewBody,
  timelineEntrySchema,
} from '../schemas/request';
import type { accountSchema, policySchema } from '../schemas/account';

/**
 * Types of the request as the workflow holds it and the read model stores it. No credential, ever.
 * Each is the type of its zod schema in src/schemas (one definition per shape); imported as types
 * only, so the workflow bundle gets no zod.
 */
export type PolicySnapshot = z.output<typeof policySchema>;
export type Approval = z.output<typeof approvalSchema>;
export type Review = z.output<typeof recordedReviewSchema>;
/** What a reviewer sends: the review without who and when. */
export type ReviewFields = z.output<typeof reviewBody>;
export type TimelineEntry = z.output<typeof timelineEntrySchema>;
export type RequestView = z.output<typeof requestViewSchema>;

/** Who belongs to the account, as copied into the request when it was created. */
export type Membership = Pick<z.output<typeof accountSchema>, 'requesters' | 'approvers' | 'reviewers'>;

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
