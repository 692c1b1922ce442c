import fp from 'fastify-plugin';
import fastifyJwt from '@fastify/jwt';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Auth } from '../../auth';
import type { Session } from '../../auth/sessions';
import { SigningKeysUnavailableError, UnauthenticatedError } from '../../auth/errors';
import { createIssuers, type Issuers, type TrustedIssuer } from '../../auth/issuers';
import type { KeySetOptions } from '../../auth/jwks-cache';
import type { AuditRepository } from '../../audit/audit-repository';
import type { Config } from '../../config';
import { withTransaction, type Pool } from '../../db/pool';
import { RefusedError } from '../../errors';
import { sessionFromCookie } from '../../console/cookie-session';

export { SigningKeysUnavailableError, UnauthenticatedError } from '../../auth/errors';
export { createKeySet, type KeySetOptions } from '../../auth/jwks-cache';

export const ROLES = { admin: 'BreakGlass.Admin', auditor: 'BreakGlass.Auditor' } as const;

export interface Principal {
  id: string;
  roles: string[];
  isAdmin: boolean;
  isAuditor: boolean;
  /** How the person authenticated, for a service session (e.g. ["passkey"]); absent for issuers' tokens. */
  amr?: string[];
  /** When the person authenticated, for a service session (ISO time). */
  authTime?: string;
  /** The service session this call came with. */
  sessionId?: string;
  /** The issuer whose token this call came with. */
  issuer?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyInstance {
    authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void>;
    issuers: Issuers;
  }
}

interface Claims {
  iss?: unknown;
  aud?: unknown;
  oid?: unknown;
  sub?: unknown;
  roles?: unknown;
}

const SAFE_ALG = /^[A-Za-z0-9]{1,16}$/;
const BEARER_SESSION = /^Bearer (bgs_\S*)$/i;

const principalOf = (id: string, roles: string[]): Principal => ({
  id,
  roles,
  isAdmin: roles.includes(ROLES.admin),
  isAuditor: roles.includes(ROLES.auditor),
});

/** The principal of a service session, whether it came as a Bearer token or in the console's cookie. */
const fromSession = (session: Session): Principal => ({
  ...principalOf(session.principal, session.roles),
  amr: session.amr,
  authTime: session.authTime,
  sessionId: session.id,
});

/**
 * Who is calling: a service session token (`bgs_...`, see src/auth/sessions.ts) or a JWT of
 * a trusted issuer. A JWT is verified only with keys from the JWKS URL of the issuer its `iss`
 * names exactly (never a URL taken from the token), with that issuer's pinned algorithms and
 * exact audience, and a small clock skew. Works for Entra ID v1 and v2 access tokens as they are.
 */
export const authPlugin = fp<{
  config: Config;
  auth?: Auth;
  pool?: Pool;
  audit?: AuditRepository;
  keySet?: Omit<KeySetOptions, 'url'>;
}>(
  async (app, { config, auth, pool, audit, keySet: keySetOptions }) => {
    const issuers = createIssuers(config, { log: app.log, keySet: keySetOptions });
    app.decorate('issuers', issuers);

    await app.register(fastifyJwt, {
      decode: { complete: true },
      secret: async (
        _request: FastifyRequest,
        token: { header: { alg?: unknown; kid?: unknown; crit?: unknown }; payload?: Claims },
      ) => {
        const { alg, kid, crit } = token.header;
        const issuer = issuers.find(token.payload?.iss);
        // Pick the issuer by the exact iss; an unknown issuer is refused before any key is looked up.
        if (!issuer) throw new UnauthenticatedError('token issuer (iss) is not trusted by this service');
        if (typeof alg !== 'string' || !(issuer.algorithms as string[]).includes(alg)) {
          throw new UnauthenticatedError(
            `token algorithm ${typeof alg === 'string' && SAFE_ALG.test(alg) ? alg : alg === undefined ? 'none' : '(unreadable)'} is not accepted`,
          );
        }
        if (typeof kid !== 'string' || !kid || kid.length > 256)
          throw new UnauthenticatedError('token has no usable key id (kid)');
        // RFC 7515 §4.1.11: critical header extensions this service does not understand make the token invalid.
        if (crit !== undefined)
          throw new UnauthenticatedError('token has critical header extensions (crit) this service does not support');
        // That issuer's own key set, from its configured JWKS URL only (not the token's iss, jku, x5u, x5c or jwk).
        return issuer.keySet.getPublicKey(kid, alg);
      },
      verify: {
        algorithms: issuers.algorithms,
        allowedIss: issuers.all.map((entry) => entry.issuer),
        allowedAud: issuers.all.map((entry) => entry.audience),
        // fast-jwt takes the tolerance in milliseconds; the setting is in seconds.
        clockTolerance: config.AUTH_CLOCK_SKEW_SECONDS * 1000,
        requiredClaims: ['exp', 'iss', 'aud'],
      },
    } as Parameters<typeof fastifyJwt>[1]);

    /** The audience must be the one of the issuer that signed (fast-jwt checked it is one of all issuers' audiences). */
    function audienceFits(issuer: TrustedIssuer, aud: unknown): boolean {
      return Array.isArray(aud) ? aud.includes(issuer.audience) : aud === issuer.audience;
    }

    async function fromToken(request: FastifyRequest): Promise<Principal> {
      let claims: Claims;
      try {
        claims = await request.jwtVerify<Claims>();
      } catch (error) {
        if (error instanceof SigningKeysUnavailableError) throw error;
        throw new UnauthenticatedError(
          describe(error),
          (error as { code?: string }).code === 'FST_JWT_NO_AUTHORIZATION_IN_HEADER',
        );
      }
      const issuer = issuers.find(claims.iss);
      if (!issuer || !audienceFits(issuer, claims.aud))
        throw new UnauthenticatedError('token audience (aud) is not the one configured for its issuer');
      // Identity is the immutable object id (or subject); never email, upn or preferred_username.
      const id =
        typeof claims.oid === 'string' && claims.oid ? claims.oid : typeof claims.sub === 'string' ? claims.sub : '';
      if (!id || id.length > 128) throw new UnauthenticatedError('token has no oid or sub claim');
      if (issuer.principal === 'token') {
        const roles = Array.isArray(claims.roles)
          ? claims.roles.filter((role): role is string => typeof role === 'string')
          : [];
        return { ...principalOf(id, roles), issuer: issuer.issuer };
      }
      // A further issuer's identity acts only through the admin-managed mapping; its roles are not trusted.
      const subject = typeof claims.sub === 'string' && claims.sub ? claims.sub : id;
      const mapped = auth && pool ? await auth.mappings.resolve(pool, issuer.issuer, subject) : null;
      if (!mapped) {
        const reason = `the identity (issuer ${issuer.issuer}, subject ${subject}) is not mapped to a Breakglass principal; an admin adds it with POST /v1/identity-mappings`;
        if (pool && audit)
          await withTransaction(pool, (tx) =>
            audit.append(tx, {
              actor: `${issuer.issuer}#${subject}`.slice(0, 300),
              action: 'auth.refused',
              details: { reason },
            }),
          );
        throw new RefusedError('Forbidden', reason);
      }
      return { ...principalOf(mapped, []), issuer: issuer.issuer };
    }

    app.decorateRequest('principal', null as unknown as Principal);
    app.decorate('authenticate', async (request: FastifyRequest) => {
      const session = BEARER_SESSION.exec(request.headers.authorization ?? '');
      if (session && auth) {
        request.principal = fromSession(await auth.sessions.authenticate(session[1]!));
        return;
      }
      // The console's HttpOnly cookie (src/console/cookie-session.ts), CSRF-checked; an Authorization header wins.
      const cookieSession =
        auth && !request.headers.authorization
          ? await sessionFromCookie(request, auth.sessions, config.CONSOLE_URL, async (actor, reason) => {
              if (pool && audit)
                await withTransaction(pool, (tx) =>
                  audit.append(tx, {
                    actor,
                    action: 'auth.refused',
                    details: { reason, method: request.method, path: request.url.split('?')[0]! },
                  }),
                );
            })
          : null;
      if (cookieSession) {
        request.principal = fromSession(cookieSession);
        return;
      }
      request.principal = await fromToken(request);
    });
  },
  { name: 'breakglass-auth' },
);

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string };
  if (error instanceof UnauthenticatedError) return error.message;
  switch (e.code) {
    case 'FST_JWT_NO_AUTHORIZATION_IN_HEADER':
      return 'missing bearer token';
    case 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED':
    case 'FAST_JWT_EXPIRED':
      return 'token expired';
    case 'FAST_JWT_INACTIVE':
      return 'token is not valid yet (nbf)';
    case 'FST_JWT_AUTHORIZATION_TOKEN_UNSIGNED':
      return 'token is not signed';
    case 'FST_JWT_AUTHORIZATION_TOKEN_INVALID':
    case 'FST_JWT_BAD_REQUEST':
    case 'FST_JWT_BAD_COOKIE_REQUEST':
      return 'token is malformed or its signature, issuer, audience or validity does not check out';
    case 'FST_JWT_AUTHORIZATION_TOKEN_UNTRUSTED':
      return 'token is not trusted';
    default:
      return 'token could not be verified';
  }
}
