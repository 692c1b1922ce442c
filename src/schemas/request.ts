import { z } from 'zod';
import { REQUEST_STATUSES, SCENARIOS } from '../domain/lifecycle';
import { text, requiredText } from './common';
import { accountId, policySchema } from './account';

export const scenarioSchema = z.enum(SCENARIOS, { message: `must be one of ${SCENARIOS.join(', ')}` });
export const statusSchema = z.enum(REQUEST_STATUSES, { message: `must be one of ${REQUEST_STATUSES.join(', ')}` });

export const createRequestBody = z
  .object({
    accountId,
    scenario: scenarioSchema,
    justification: requiredText(2000),
    incidentRef: requiredText(100).nullable().optional(),
  })
  .strict()
  .meta({ id: 'RequestCreate' });

export const decisionBody = z
  .object({
    decision: z.enum(['approve', 'deny'], { message: 'must be approve or deny' }),
    comment: text(1000).nullable().optional(),
  })
  .strict()
  .meta({ id: 'Decision' });

export const cancelBody = z
  .object({ reason: text(1000).nullable().optional() })
  .strict()
  .meta({ id: 'Cancel' });

export const closeBody = z
  .object({ summary: requiredText(4000) })
  .strict()
  .meta({ id: 'Close' });

export const reviewBody = z
  .object({
    actionsAppropriate: z.boolean(),
    signInLogsReviewed: z.boolean(),
    credentialRotated: z.boolean(),
    findings: requiredText(4000),
    followUpTicket: requiredText(100),
  })
  .strict()
  .meta({ id: 'Review' });

export const idempotencyKeyHeader = z.object({
  'idempotency-key': z
    .string()
    .min(8, 'must be 8-200 characters')
    .max(200, 'must be 8-200 characters')
    .regex(/^[\x21-\x7E]+$/, 'must be printable ASCII')
    .optional(),
});

export const listQuery = z
  .object({
    status: statusSchema.optional(),
    accountId: accountId.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z
      .string()
      .max(200)
      .meta({ description: 'opaque: the nextCursor of an earlier page; any other value is 400' })
      .optional(),
  })
  .strict();

/**
 * The request's shapes are defined here once: the API's answers are checked against them (GET
 * /v1/requests/:id, the hot read, copies the stored view in this shape instead: json-in-schema-order.ts), and
 * src/domain/request.ts takes its types from them (type-only, so no zod reaches the workflow bundle).
 */
export const approvalSchema = z
  .object({
    approver: z.string(),
    decision: decisionBody.shape.decision,
    comment: z.string().nullable(),
    at: z.string(),
  })
  .meta({ id: 'Approval' });

/** A review as recorded: the reviewer's fields (as sent in POST .../review), who, and when. */
export const recordedReviewSchema = reviewBody
  .extend({ reviewer: z.string(), at: z.string() })
  .meta({ id: 'RecordedReview' });

export const timelineEntrySchema = z
  .object({ at: z.string(), action: z.string(), actor: z.string(), detail: z.string().optional() })
  .meta({ id: 'TimelineEntry' });

/** The request as the workflow holds it and the read model stores it. No credential, ever. */
export const requestViewSchema = z.object({
  id: z.string(),
  accountId: z.string(),
  requester: z.string(),
  scenario: scenarioSchema,
  justification: z.string(),
  incidentRef: z.string().nullable(),
  status: statusSchema,
  createdAt: z.string(),
  /** Copied from the account when the request was created. */
  policy: policySchema,
  approvals: z.array(approvalSchema),
  requiredApprovals: z.number(),
  approvalExpiresAt: z.string(),
  releasedAt: z.string().nullable(),
  releaseExpiresAt: z.string().nullable(),
  revealCount: z.number(),
  closedAt: z.string().nullable(),
  closedBy: z.string().nullable(),
  closeSummary: z.string().nullable(),
  reviewDueAt: z.string().nullable(),
  review: recordedReviewSchema.nullable(),
  cancelledBy: z.string().nullable(),
  cancelReason: z.string().nullable(),
  timeline: z.array(timelineEntrySchema),
  /** Bumped on every change; the read model ignores a projection older than what it holds. */
  version: z.number(),
});

/** The request as the API answers with it: the view without its internal bookkeeping. */
export const requestSchema = requestViewSchema.omit({ policy: true, version: true }).meta({ id: 'Request' });

export const requestListSchema = z
  .object({ items: z.array(requestSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'RequestList' });

export const revealSchema = z
  .object({ value: z.string(), version: z.string(), releaseExpiresAt: z.string() })
  .meta({ id: 'Reveal' });

const actionState = z.object({
  allowed: z.boolean(),
  // The service's reason when not allowed now: Forbidden (never for this person) or Conflict (not in this state).
  refusal: z.enum(['Forbidden', 'Conflict']).nullable(),
  reason: z.string().nullable(),
});

export const requestActionsSchema = z
  .object({
    approve: actionState,
    deny: actionState,
    cancel: actionState,
    reveal: actionState,
    close: actionState,
    review: actionState,
  })
  .meta({ id: 'RequestActions' });
