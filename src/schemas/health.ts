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

export const readinessSchema = z
  .object({ status: z.literal('ready'), dependencies: z.array(dependencyStatusSchema), identity: identityStatusSchema })
  .meta({ id: 'Readiness' });
