import { z } from 'zod';
import { commaList, urlField } from '../config-fields';
import { durationToMs, isIsoDuration } from '../domain/durations';

/**
 * Configuration of the ways in beside the primary issuer (AUTH_ISSUER/AUTH_AUDIENCE/AUTH_JWKS_URL):
 * further token issuers, passkeys (WebAuthn) and the service's own sessions.
 */

export const SUPPORTED_ISSUER_ALGORITHMS = ['RS256', 'ES256'] as const;

const httpUrl = urlField(['https:', 'http:'], 'jwksUrl wants an http(s) URL');

export const issuerEntry = z
  .object({
    issuer: z.string().trim().min(1, 'issuer wants the exact iss of accepted tokens'),
    audience: z.string().trim().min(1, 'audience wants the exact aud of accepted tokens'),
    jwksUrl: httpUrl,
    algorithms: z
      .array(z.enum(SUPPORTED_ISSUER_ALGORITHMS, { message: 'algorithms wants RS256 and/or ES256' }))
      .min(1)
      .default([...SUPPORTED_ISSUER_ALGORITHMS]),
    // `mapping`: the principal comes only from the admin-managed (issuer, subject) table; `token`: from oid/sub, roles trusted.
    principal: z.enum(['mapping', 'token'], { message: 'principal wants mapping or token' }).default('mapping'),
  })
  .strict();

export type IssuerEntry = z.infer<typeof issuerEntry>;

/** AUTH_ISSUERS: a JSON array of issuer entries. */
export const issuersList = z
  .string()
  .transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: 'wants a JSON array of {issuer, audience, jwksUrl, algorithms?, principal?}',
      });
      return z.NEVER;
    }
  })
  .pipe(z.array(issuerEntry, { message: 'wants a JSON array of {issuer, audience, jwksUrl, algorithms?, principal?}' }))
  .refine((list) => new Set(list.map((entry) => entry.issuer)).size === list.length, 'wants each issuer at most once');

export const duration = (what: string, maxMs: number) =>
  z
    .string()
    .trim()
    .refine(
      (value) => isIsoDuration(value) && durationToMs(value) >= 1000 && durationToMs(value) <= maxMs,
      `wants an ISO-8601 duration for ${what}, such as PT15M`,
    );

/** WEBAUTHN_ORIGINS: comma separated origins (scheme://host[:port]), exactly as the browser reports them. */
export const originList = commaList(
  z.string().refine((value) => {
    try {
      return new URL(value).origin === value;
    } catch {
      return false;
    }
  }, 'wants comma-separated origins such as https://breakglass.contoso.com'),
);

export const aaguidList = commaList(
  z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'wants comma-separated AAGUIDs'),
  (part) => part.toLowerCase(),
);

export const authConfigShape = {
  AUTH_ISSUERS: issuersList.optional(),
  WEBAUTHN_RP_ID: z
    .string()
    .trim()
    .regex(/^[a-z0-9.-]+$/, 'wants a host name such as breakglass.contoso.com')
    .optional(),
  WEBAUTHN_RP_NAME: z.string().trim().min(1).max(64).default('Breakglass'),
  WEBAUTHN_ORIGINS: originList.optional(),
  WEBAUTHN_AAGUIDS: aaguidList.optional(),
  SESSION_IDLE_TIMEOUT: duration('SESSION_IDLE_TIMEOUT', 24 * 3_600_000).default('PT15M'),
  SESSION_MAX_LIFETIME: duration('SESSION_MAX_LIFETIME', 7 * 86_400_000).default('PT8H'),
};

interface AuthConfigFields {
  AUTH_ISSUER: string;
  AUTH_ISSUERS?: IssuerEntry[];
  WEBAUTHN_RP_ID?: string;
  WEBAUTHN_ORIGINS?: string[];
}

/** Checks across variables, for every environment. */
export function authConfigProblems(config: AuthConfigFields, production: boolean): string[] {
  const problems: string[] = [];
  if (config.AUTH_ISSUERS?.some((entry) => entry.issuer === config.AUTH_ISSUER))
    problems.push('AUTH_ISSUERS repeats AUTH_ISSUER; name each issuer once');
  if (Boolean(config.WEBAUTHN_RP_ID) !== Boolean(config.WEBAUTHN_ORIGINS?.length))
    problems.push('WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS are set together (passkeys need both)');
  if (config.WEBAUTHN_RP_ID && config.WEBAUTHN_ORIGINS) {
    const rpId = config.WEBAUTHN_RP_ID;
    const outside = config.WEBAUTHN_ORIGINS.filter((origin) => {
      const host = new URL(origin).hostname;
      return host !== rpId && !host.endsWith(`.${rpId}`);
    });
    if (outside.length)
      problems.push(`WEBAUTHN_ORIGINS ${outside.join(', ')} are not on WEBAUTHN_RP_ID ${rpId} or its subdomains`);
  }
  if (production) {
    if (config.WEBAUTHN_ORIGINS?.some((origin) => !origin.startsWith('https:')))
      problems.push('WEBAUTHN_ORIGINS wants https:// origins when NODE_ENV=production');
    if (config.AUTH_ISSUERS?.some((entry) => !entry.jwksUrl.startsWith('https:')))
      problems.push('AUTH_ISSUERS jwksUrl wants https:// URLs when NODE_ENV=production');
  }
  return problems;
}
