import type { Config } from '../config';

/** Who a console sign-in is, and where it may return: kept apart from the routes so each rule is tested alone. */

export interface OidcIdentity {
  issuer: string;
  subject: string;
  principal: string;
  roles: string[];
}

/**
 * Only a path of this console (never another host, nor `//host`) may be where a sign-in returns;
 * never a sign-in route itself, which would loop through the provider opening a session each time.
 */
export const safeReturnTo = (value: unknown) =>
  typeof value === 'string' && /^\/(?![/\\]|auth\/)[A-Za-z0-9\-._~/]{0,200}$/.test(value) ? value : '/';

/**
 * The principal of an OIDC identity, the same way its tokens would be: roles trusted from a
 * trusted issuer, or the admin's identity mapping. App roles belong to one app registration, so
 * the ID token's roles are the API's roles only when the console signs in as the API's own client
 * (its audience); another registration's roles, which its owners can assign themselves, count for
 * nothing, and its people keep their identity without roles.
 */
export async function consolePrincipal(
  config: Pick<Config, 'AUTH_ISSUER' | 'AUTH_AUDIENCE' | 'AUTH_ISSUERS' | 'OIDC_CLIENT_ID'>,
  identity: OidcIdentity,
  resolveMapping: (issuer: string, subject: string) => Promise<string | null>,
): Promise<{ id: string; roles: string[] } | null> {
  const sameApp = (audience: string) =>
    config.OIDC_CLIENT_ID === audience || `api://${config.OIDC_CLIENT_ID}` === audience;
  const entry = config.AUTH_ISSUERS?.find((candidate) => candidate.issuer === identity.issuer);
  const trustedForRoles = identity.issuer === config.AUTH_ISSUER || entry?.principal === 'token';
  if (trustedForRoles) {
    const audience = identity.issuer === config.AUTH_ISSUER ? config.AUTH_AUDIENCE : entry!.audience;
    return { id: identity.principal, roles: sameApp(audience) ? identity.roles : [] };
  }
  const mapped = await resolveMapping(identity.issuer, identity.subject);
  return mapped ? { id: mapped, roles: [] } : null;
}
