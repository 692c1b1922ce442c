import { z } from 'zod';
import { urlField } from '../config-fields';

/**
 * Configuration of the web console's sign-in (OpenID Connect authorization code with PKCE,
 * done by the server). Console sign-in through OIDC is off while OIDC_ISSUER is unset; the
 * passkey sign-in works either way.
 */
export const consoleConfigShape = {
  OIDC_ISSUER: urlField(
    ['https:', 'http:'],
    'wants the issuer URL of the OpenID provider, such as https://login.microsoftonline.com/{tid}/v2.0',
  ).optional(),
  OIDC_CLIENT_ID: z.string().trim().min(1, "wants the console's client (application) id").optional(),
  // Optional: without it the console is a public client (PKCE alone); with it, client_secret_post as well.
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_SCOPES: z
    .string()
    .trim()
    .regex(/^[\x21-\x7E]+( [\x21-\x7E]+)*$/, 'wants space-separated scopes such as "openid profile"')
    .default('openid profile'),
  // How long a revealed credential stays on screen; tests shorten it.
  CONSOLE_REVEAL_SECONDS: z.coerce
    .number({ message: 'wants seconds' })
    .int('wants whole seconds')
    .min(1, 'wants at least 1 second')
    .max(600, 'wants at most 600 seconds')
    .default(60),
};

interface ConsoleConfigFields {
  AUTH_ISSUER: string;
  AUTH_ISSUERS?: Array<{ issuer: string }>;
  OIDC_ISSUER?: string;
  OIDC_CLIENT_ID?: string;
  CONSOLE_URL?: string;
}

/** Checks across variables: the OIDC issuer must be one the API already trusts, so roles and principals mean the same. */
export function consoleConfigProblems(config: ConsoleConfigFields, production: boolean): string[] {
  const problems: string[] = [];
  if (!config.OIDC_ISSUER) return problems;
  if (!config.OIDC_CLIENT_ID) problems.push('OIDC_ISSUER is set without OIDC_CLIENT_ID');
  if (!config.CONSOLE_URL) problems.push('OIDC_ISSUER is set without CONSOLE_URL (the redirect URI is built from it)');
  const trusted = [config.AUTH_ISSUER, ...(config.AUTH_ISSUERS ?? []).map((entry) => entry.issuer)];
  if (!trusted.includes(config.OIDC_ISSUER))
    problems.push('OIDC_ISSUER must be AUTH_ISSUER or one of AUTH_ISSUERS (the same identities and roles as tokens)');
  if (production && !config.OIDC_ISSUER.startsWith('https:'))
    problems.push('OIDC_ISSUER wants an https:// URL when NODE_ENV=production');
  if (production && config.CONSOLE_URL && !config.CONSOLE_URL.startsWith('https:'))
    problems.push('CONSOLE_URL wants an https:// URL when NODE_ENV=production');
  return problems;
}
