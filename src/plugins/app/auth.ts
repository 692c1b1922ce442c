import fp from 'fastify-plugin';
import fastifyJwt from '@fastify/jwt';
import buildGetJwks from 'get-jwks';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config';

export const ROLES = { admin: 'BreakGlass.Admin', auditor: 'BreakGlass.Auditor' } as const;

export interface Principal {
  id: string;
  roles: string[];
  isAdmin: boolean;
  isAuditor: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyInstance {
    authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  }
}

export class UnauthenticatedError extends Error {
  readonly statusCode = 401;
  constructor(reason: string) {
    super(reason);
    this.name = 'UnauthenticatedError';
  }
}

interface Claims {
  oid?: unknown;
  sub?: unknown;
  roles?: unknown;
}

/**
 * Bearer tokens verified against keys from the configured JWKS URL only (never a URL
 * taken from the token), with pinned algorithms, exact issuer and audience, and a small
 * clock skew. Works for Entra ID v1 and v2 access tokens as they are.
 */
export const authPlugin = fp<{ config: Config }>(
  async (app, { config }) => {
    const jwksUrl = new URL(config.AUTH_JWKS_URL);
    const domain = `${jwksUrl.origin}/`;
    const getJwks = buildGetJwks({ jwksPath: `${jwksUrl.pathname}${jwksUrl.search}`, max: 100, ttl: 10 * 60_000 });
    const algorithms = config.AUTH_ALGORITHMS as string[];

    await app.register(fastifyJwt, {
      decode: { complete: true },
      secret: async (_request: FastifyRequest, token: { header: { alg?: string; kid?: string } }) => {
        const { alg, kid } = token.header;
        if (!alg || !algorithms.includes(alg)) throw new UnauthenticatedError(`token algorithm ${alg ?? 'none'} is not accepted`);
        if (!kid) throw new UnauthenticatedError('token has no key id (kid)');
        // The domain is fixed by configuration, not taken from the token's iss, jku, x5u or jwk.
        return getJwks.getPublicKey({ domain, alg, kid });
      },
      verify: {
        algorithms,
        allowedIss: config.AUTH_ISSUER,
        allowedAud: config.AUTH_AUDIENCE,
        clockTolerance: config.AUTH_CLOCK_SKEW_SECONDS,
        requiredClaims: ['exp', 'iss', 'aud'],
      },
    } as Parameters<typeof fastifyJwt>[1]);

    app.decorateRequest('principal', null as unknown as Principal);
    app.decorate('authenticate', async (request: FastifyRequest) => {
      let claims: Claims;
      try {
        claims = await request.jwtVerify<Claims>();
      } catch (error) {
        throw new UnauthenticatedError(describe(error));
      }
      // Identity is the immutable object id; never email, upn or preferred_username.
      const id = typeof claims.oid === 'string' && claims.oid ? claims.oid : typeof claims.sub === 'string' ? claims.sub : '';
      if (!id || id.length > 128) throw new UnauthenticatedError('token has no oid or sub claim');
      const roles = Array.isArray(claims.roles) ? claims.roles.filter((role): role is string => typeof role === 'string') : [];
      request.principal = { id, roles, isAdmin: roles.includes(ROLES.admin), isAuditor: roles.includes(ROLES.auditor) };
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
      return 'token expired';
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
