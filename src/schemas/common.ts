import { z } from 'zod';
import { isIsoDuration, durationToMs } from '../domain/durations';

/** Principal ids are Entra object ids (GUIDs) or OIDC subjects: printable, bounded, no whitespace. */
export const principalId = z.string().trim().min(1).max(128).regex(/^[A-Za-z0-9._@:\-]+$/, 'must be a principal id (letters, digits, . _ @ : -)');

/** Free text from people: bounded, no control characters other than newline and tab. */
export const text = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .regex(/^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/, 'must not contain control characters');

export const requiredText = (max: number) => text(max).trim().min(1, 'must not be empty');

export const isoDuration = (options: { minMs?: number; maxMs?: number; what: string }) =>
  z
    .string()
    .refine(isIsoDuration, 'must be an ISO-8601 duration in days, hours, minutes or seconds, such as PT30M')
    .refine((value) => !isIsoDuration(value) || durationToMs(value) >= (options.minMs ?? 1000), `${options.what} must be at least ${(options.minMs ?? 1000) / 1000} seconds`)
    .refine((value) => !isIsoDuration(value) || options.maxMs === undefined || durationToMs(value) <= options.maxMs, `${options.what} is too long`);

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    currentStatus: z.string().optional(),
    dependency: z.enum(['postgres', 'temporal', 'keyvault', 'identity']).optional(),
    mayStillTakeEffect: z
      .boolean()
      .optional()
      .describe('true when the action was handed on but not seen to finish: send the same request again to learn its outcome'),
    dependencies: z.array(z.object({ name: z.string(), ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export const idParams = z.object({ id: z.string().trim().min(1).max(128) });
