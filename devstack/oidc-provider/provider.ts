import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

/**
 * A real OpenID provider (oidc-provider from npm) for dev mode and the browser tests, so that
 * the console's sign-in is the real authorization-code flow with PKCE. Its sign-in page is
 * oidc-provider's built-in development form: type one of the people below; the password field
 * is not checked (a dev provider, never for production). Roles travel in the ID token's `roles`
 * claim, as Entra ID's app roles do.
 */

export const DEV_CLIENT_ID = 'breakglass-console';

/** The demo people (src/accounts/seed-demo.ts and the test harness) and their roles; any other login is refused. */
export const DEV_PEOPLE: Record<string, string[]> = {
  alice: [],
  bob: [],
  carol: [],
  dave: [],
  erin: [],
  mallory: [],
  'dev-admin': ['BreakGlass.Admin'],
  'root-admin': ['BreakGlass.Admin'],
  'auditor-1': ['BreakGlass.Auditor'],
};

export interface DevOidcProvider {
  issuer: string;
  jwksUrl: string;
  clientId: string;
  /** The AUTH_ISSUERS entry that makes the API trust this provider's identities and roles. */
  trustEntry: { issuer: string; audience: string; jwksUrl: string; principal: 'token' };
  close(): Promise<void>;
}

export async function startDevOidcProvider(options: {
  /** Where the console expects to be sent back, e.g. http://localhost:3000/auth/callback. */
  redirectUris: string[];
  port?: number;
  host?: string;
  people?: Record<string, string[]>;
}): Promise<DevOidcProvider> {
  const people = options.people ?? DEV_PEOPLE;
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  // localhost, not 127.0.0.1: the same site as the console on localhost, whose cookies browsers treat as secure.
  const issuer = `http://${options.host ?? 'localhost'}:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: DEV_CLIENT_ID,
        token_endpoint_auth_method: 'none',
        redirect_uris: options.redirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code'],
        id_token_signed_response_alg: 'ES256',
      },
    ],
    pkce: { methods: ['S256'], required: () => true },
    claims: { openid: ['sub', 'roles'], profile: ['name'] },
    // Roles in the ID token itself, as Entra ID puts app roles there.
    conformIdTokenClaims: false,
    ttl: {
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
      AccessToken: 600,
      IdToken: 600,
      AuthorizationCode: 60,
    },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    // One EC signing key per start: quick to make (the provider's own dev keys include RSA ones, slow on a busy machine).
    jwks: {
      keys: [
        {
          ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }),
          alg: 'ES256',
          use: 'sig',
          kid: `dev-${randomBytes(4).toString('hex')}`,
        },
      ],
    },
    enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx: KoaContextWithOIDC, id: string) {
      const roles = people[id];
      if (!roles) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, name: id, roles }) };
    },
    // The console is first-party: no consent screen, a grant for its scopes is made on the spot.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const { Grant } = ctx.oidc.provider;
      const existing = ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      if (existing) return Grant.find(existing);
      const grant = new Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId });
      grant.addOIDCScope('openid profile');
      await grant.save();
      return grant;
    },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    clientId: DEV_CLIENT_ID,
    trustEntry: { issuer, audience: DEV_CLIENT_ID, jwksUrl: `${issuer}/jwks`, principal: 'token' },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
