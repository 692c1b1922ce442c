import * as client from 'openid-client';
import type { Config } from '../config';

/**
 * The console's OpenID Connect sign-in: authorization code with PKCE, state and nonce, done by
 * the server with openid-client, so no token of the provider ever reaches the browser. The
 * provider's metadata is discovered on the first sign-in (and again after a failure), so the
 * API starts, and passkey sign-in works, while the provider is down.
 */

export interface PendingLogin {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
}

export interface OidcIdentity {
  issuer: string;
  subject: string;
  /** oid when the provider sends one (Entra), else sub: the same principal as in its access tokens. */
  principal: string;
  roles: string[];
  authTime: Date;
}

export class OidcUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the OpenID provider cannot be reached');
    this.name = 'OidcUnavailableError';
    this.cause = cause;
  }
}

export function createOidc(config: Config) {
  const issuer = config.OIDC_ISSUER;
  const clientId = config.OIDC_CLIENT_ID;
  if (!issuer || !clientId || !config.CONSOLE_URL) return null;
  const redirectUri = new URL('/auth/callback', config.CONSOLE_URL).toString();
  const scope = config.OIDC_SCOPES.split(' ').includes('openid') ? config.OIDC_SCOPES : `openid ${config.OIDC_SCOPES}`;
  let discovered: Promise<client.Configuration> | undefined;

  function configuration(): Promise<client.Configuration> {
    discovered ??= client
      .discovery(
        new URL(issuer!),
        clientId!,
        undefined,
        config.OIDC_CLIENT_SECRET ? client.ClientSecretPost(config.OIDC_CLIENT_SECRET) : client.None(),
        // Plain http is for the local dev provider only (configuration refuses it in production).
        issuer!.startsWith('http:') ? { execute: [client.allowInsecureRequests], timeout: 5 } : { timeout: 5 },
      )
      .catch((error: unknown) => {
        discovered = undefined;
        throw new OidcUnavailableError(error);
      });
    return discovered;
  }

  return {
    issuer,
    redirectUri,

    /** Where to send the browser, and what to keep (in an HttpOnly cookie) until it comes back. */
    async start(returnTo: string): Promise<{ url: string; pending: PendingLogin }> {
      const settings = await configuration();
      const verifier = client.randomPKCECodeVerifier();
      const pending = { state: client.randomState(), nonce: client.randomNonce(), verifier, returnTo };
      const url = client.buildAuthorizationUrl(settings, {
        redirect_uri: redirectUri,
        scope,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
      });
      return { url: url.toString(), pending };
    },

    /** Exchanges the code (checking state, nonce and PKCE) and reads the verified ID token. */
    async finish(callbackUrl: URL, pending: PendingLogin): Promise<OidcIdentity> {
      const settings = await configuration();
      const tokens = await client.authorizationCodeGrant(settings, callbackUrl, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims()!;
      const oid = typeof claims.oid === 'string' && claims.oid ? claims.oid : undefined;
      const roles = Array.isArray(claims.roles)
        ? claims.roles.filter((role): role is string => typeof role === 'string')
        : [];
      return {
        issuer: claims.iss,
        subject: claims.sub,
        principal: oid ?? claims.sub,
        roles,
        authTime: typeof claims.auth_time === 'number' ? new Date(claims.auth_time * 1000) : new Date(),
      };
    },
  };
}

export type Oidc = NonNullable<ReturnType<typeof createOidc>>;
