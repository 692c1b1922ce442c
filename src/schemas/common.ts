import { z } from 'zod';
import { isIsoDuration, durationToMs } from '../domain/durations';

/** Principal ids are Entra object ids (GUIDs) or OIDC subjects: printable, bounded, no whitespace. */
export const principalId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._@:\-]+$/, 'must be a principal id (letters, digits, . _ @ : -)');

/** Free text from people: bounded, no control characters other than newline and tab. */
export const text = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .regex(/^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/, 'must not contain control characters');

/** Blank text is refused by a pattern, not only after trimming, so the OpenAPI document says so too. */
export const requiredText = (max: number) =>
  text(max).min(1, 'must not be empty').regex(/\S/, 'must not be blank').trim();

export const isoDuration = (options: { minMs?: number; maxMs?: number; what: string }) =>
  z
    .string()
    .refine(isIsoDuration, 'must be an ISO-8601 duration in days, hours, minutes or seconds, such as PT30M')
    .refine(
      (value) => !isIsoDuration(value) || durationToMs(value) >= (options.minMs ?? 1000),
      `${options.what} must be at least ${(options.minMs ?? 1000) / 1000} seconds`,
    )
    .refine(
      (value) => !isIsoDuration(value) || options.maxMs === undefined || durationToMs(value) <= options.maxMs,
      `${options.what} is too long`,
    );

/** One dependency's readiness, as /readyz reports it (in its 200 answer and in its 503 problem). */
export const dependencyStatusSchema = z
  .object({
    name: z.enum(['postgres', 'temporal', 'keyvault']),
    ok: z.boolean(),
    latencyMs: z.number(),
    error: z.string().optional(),
  })
  .meta({ id: 'DependencyStatus' });

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
      .describe(
        'true when the action was handed on but not seen to finish: send the same request again to learn its outcome',
      ),
    dependencies: z.array(dependencyStatusSchema).optional(),
    // Readiness only: each way in (see IdentityStatus); kept loose here to avoid a cycle with schemas/health.
    identity: z.record(z.string(), z.unknown()).optional(),
    alertSinks: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

/** The problem+json answers a route may give, for its response schema (the OpenAPI document lists each). */
export const problemResponses = <S extends number>(...statuses: S[]) =>
  Object.fromEntries(statuses.map((status) => [status, problemSchema])) as Record<S, typeof problemSchema>;

/**
 * The longest id a path may carry. The router is given the same limit (`maxParamLength` in
 * app.ts), so a longer id gets the schema's 400 rather than the router's 414.
 */
export const MAX_ID_LENGTH = 128;

/** Request ids (UUIDs) and account ids both fit; anything else is a 400 before any lookup. */
export const resourceId = z
  .string()
  .min(1)
  .max(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must be an id (letters, digits, . _ : -)');

export const idParams = z.object({ id: resourceId });

/** Passkeys are named by their WebAuthn credential id (base64url, which may start with - or _). */
export const passkeyIdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be a passkey id (base64url)'),
});
