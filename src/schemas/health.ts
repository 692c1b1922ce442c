import { z } from 'zod';
import { dependencyStatusSchema } from './common';

export const livenessSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Liveness' });

/** Each way in: reported, never a reason to go red (see src/routes/health.ts). */
export const identityStatusSchema = z
  .object({
    issuers: z.array(
      z.object({
        issuer: z.string(),
        principal: z.enum(['mapping', 'token']),
        state: z.enum(['ok', 'degraded', 'down']),
        error: z.string().optional(),
      }),
    ),
    passkeys: z.enum(['enabled', 'disabled']),
  })
  .meta({ id: 'IdentityStatus' });

/** Alert sinks that have failed to deliver for longer than ALERT_FAILING_AFTER: listed, never a reason to go red. */
export const alertSinksStatusSchema = z
  .object({
    failing: z.array(
      z.object({
        sink: z.string(),
        format: z.string(),
        since: z.string(),
        reportedAt: z.string(),
        reportEventId: z.string(),
      }),
    ),
  })
  .meta({ id: 'AlertSinksStatus' });

export const readinessSchema = z
  .object({
    status: z.literal('ready'),
    dependencies: z.array(dependencyStatusSchema),
    identity: identityStatusSchema,
    alertSinks: alertSinksStatusSchema,
  })
  .meta({ id: 'Readiness' });
