import { z } from 'zod';
import { accountId as accountIdSchema } from './account';
import { requiredText } from './common';

/** Shapes of the watch's routes (issue 13): sign-in evidence, cases, drift checks and readiness. */

export const signInEvidenceSchema = z
  .object({
    signInId: z.string(),
    time: z.string(),
    ipAddress: z.string().nullable(),
    app: z.string().nullable(),
    location: z.string().nullable(),
    result: z.enum(['success', 'failure']),
    errorCode: z.number().nullable(),
    failureReason: z.string().nullable(),
    conditionalAccessStatus: z.string().nullable(),
    authenticationMethods: z.array(z.string()),
    clientAppUsed: z.string().nullable(),
    interactive: z.boolean().nullable(),
  })
  .meta({ id: 'SignInEvidence' });

export const observationSchema = z
  .object({
    signInId: z.string(),
    accountId: z.string(),
    requestId: z.string().nullable(),
    signedInAt: z.string(),
    observedAt: z.string(),
    succeeded: z.boolean(),
    details: signInEvidenceSchema,
  })
  .meta({ id: 'SignInObservation', description: 'A sign-in of the account read from Microsoft Graph by the watch' });

export const caseSchema = z
  .object({
    caseId: z.string(),
    accountId: z.string(),
    signInId: z.string(),
    status: z.enum(['open', 'closed']),
    openedAt: z.string(),
    dueAt: z.string(),
    reminders: z.number().int(),
    closedAt: z.string().nullable(),
    closedBy: z.string().nullable(),
    explanation: z.string().nullable(),
  })
  .meta({ id: 'SignInCase', description: 'An unexplained sign-in, open until a reviewer explains it' });

export const caseListQuery = z
  .object({ accountId: accountIdSchema.optional(), status: z.enum(['open', 'closed']).optional() })
  .strict();

export const closeCaseBody = z
  .object({ explanation: requiredText(4000) })
  .strict()
  .meta({ id: 'CaseClose' });

export const checkSchema = z
  .object({
    name: z.string(),
    passed: z.boolean(),
    detail: z.string(),
    evidence: z.record(z.string(), z.unknown()),
    checkedAt: z.string().optional(),
    changedAt: z.string().optional(),
  })
  .meta({ id: 'DriftCheck' });

export const checksResultSchema = z
  .object({
    accountId: z.string(),
    checkedAt: z.string(),
    checks: z.array(checkSchema),
    newlyFailed: z.array(z.string()),
    recovered: z.array(z.string()),
  })
  .meta({ id: 'DriftCheckRun' });

export const drillSchema = z
  .object({
    requestId: z.string(),
    status: z.string(),
    successful: z.boolean(),
    missing: z.array(z.string()),
    requester: z.string(),
    approvers: z.array(z.string()),
    reviewer: z.string().nullable(),
    createdAt: z.string(),
    releasedAt: z.string().nullable(),
    firstSignInAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    reviewedAt: z.string().nullable(),
    secondsToRelease: z.number().nullable(),
    secondsToSignIn: z.number().nullable(),
    secondsToClose: z.number().nullable(),
  })
  .meta({ id: 'Drill', description: 'A drill (scenario drill) and its evidence' });

export const drillListSchema = z
  .object({
    accountId: z.string(),
    drillInterval: z.string(),
    lastSuccessfulAt: z.string().nullable(),
    items: z.array(drillSchema),
  })
  .meta({ id: 'DrillList' });

export const readinessSchema = z
  .object({
    accountId: z.string(),
    ready: z.boolean(),
    checks: z.array(checkSchema),
    lastDrill: drillSchema.nullable(),
    lastSignIn: observationSchema.nullable(),
    watch: z.object({
      degraded: z.boolean(),
      consecutiveFailures: z.number().int(),
      lastSuccessAt: z.string().nullable(),
      lastError: z.string().nullable(),
    }),
  })
  .meta({ id: 'AccountReadiness' });
