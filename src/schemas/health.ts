import { z } from 'zod';
import { dependencyStatusSchema } from './common';

export const livenessSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Liveness' });

export const readinessSchema = z
  .object({ status: z.literal('ready'), dependencies: z.array(dependencyStatusSchema) })
  .meta({ id: 'Readiness' });
