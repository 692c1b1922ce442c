import { createPublicKey } from 'node:crypto';
import fp from 'fastify-plugin';
import fastifyJwt from '@fastify/jwt';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config';
import { SigningKeysUnavailableError, UnauthenticatedError } from '../../errors';

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

export { SigningKeysUnavailableError, UnauthenticatedError };

interface Claims {
  oid?: unknown;
  sub?: unknown;
  roles?: unknown;
}

interface Jwk {
  kid?: unknown;
  kty?: unknown;
  alg?: unknown;
  use?: unknown;
  crv?: unknown;
  [name: string]: unknown;
}

export interface KeySetOptions {
  url: string;
  /** A fetched key set is trusted this long, then refetched (in the background while it is still served). */
  ttlMs?: number;
  /** At most one fetch per this interval for tokens whose kid is unknown, and after a failed fetch. */
  cooldownMs?: number;
  timeoutMs?: number;
  log?: Pick<FastifyBaseLogger, 'warn' | 'info'>;
  /** Test hook: count or observe fetches. */
  fetchImpl?: typeof fetch;
}

/**
 * The issuer's JSON Web Key Set, fetched only from the configured URL (never from a token's
 * iss, jku, x5u or jwk) and held as one set:
 * - a successful fetch replaces the whole set, so a key the issuer removed is refused as soon
 *   as the service has seen the new set (at the latest after `ttlMs`);
 * - a token with an unknown kid triggers at most one refetch per `cooldownMs`, coalesced, so
 *   garbage kids cannot turn the API into a JWKS request amplifier;
 * - a failed fetch keeps the last good set (an identity provider outage must not lock out
 *   the break-glass service), and is retried no more often than `cooldownMs`.
 * (get-jwks was used before: it fetched once per unknown kid, and its stale-key fallback kept
 * serving a removed key for as long as someone kept presenting it.)
 */
export function createKeySet(options: KeySetOptions) {
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  const cooldownMs = options.cooldownMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const doFetch = options.fetchImpl ?? fetch;
  let keys: Map<string, Jwk> | null = null;
  let loadedAt = 0;
  let lastAttemptAt = -Infinity;
  let lastUnknownKidFetchAt = -Infinity;
  let inflight: Promise<void> | null = null;
  const pems = new Map<string, string>();

  async function fetchSet(): Promise<Map<string, Jwk>> {
    const response = await doFetch(options.url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    if (!response.ok) throw new Error(`the JWKS endpoint answered ${response.status}`);
    if (text.length > 1_000_000) throw new Error('the JWKS document is too large');
    const body = JSON.parse(text) as { keys?: unknown };
    if (!body || !Array.isArray(body.keys)) throw new Error('the JWKS document has no keys array');
    const set = new Map<string, Jwk>();
    for (const jwk of body.keys as Jwk[]) {
      if (!jwk || typeof jwk !== 'object' || typeof jwk.kid !== 'string') continue;
      if (jwk.use !== undefined && jwk.use !== 'sig') continue;
      if (!set.has(jwk.kid)) set.set(jwk.kid, jwk);
    }
    return set;
  }

  function refresh(): Promise<void> {
    if (inflight) return inflight;
    lastAttemptAt = Date.now();
    inflight = fetchSet()
      .then((set) => {
        keys = set;
        loadedAt = Date.now();
        pems.clear();
      })
      .catch((error: unknown) => {
        options.log?.warn({ jwksUrl: options.url, reason: error instanceof Error ? error.message : String(error) }, 'could not fetch the signing keys; keeping the last good set');
      })
      .finally(() => {
        inflight = null;
      });
    return inflight;
  }

  async function getJwk(kid: string): Promise<Jwk> {
    const now = Date.now();
    if (!keys) {
      if (inflight) await inflight;
      else if (now - lastAttemptAt >= cooldownMs) await refresh();
      if (!keys) throw new SigningKeysUnavailableError();
    } else if (now - loadedAt > ttlMs && !inflight && now - lastAttemptAt >= cooldownMs) {
      void refresh(); // stale-while-revalidate: the current set answers this request
    }
    let jwk = keys.get(kid);
    if (!jwk) {
      if (inflight) await inflight;
      else if (now - lastUnknownKidFetchAt >= cooldownMs) {
        lastUnknownKidFetchAt = now;
        await refresh();
      }
      jwk = keys.get(kid);
    }
    if (!jwk) throw new UnauthenticatedError('token key id (kid) is not in the issuer key set');
    return jwk;
  }

  /** The PEM public key for a token's kid and (already pinned) alg; the key must fit the alg. */
  async function getPublicKey(kid: string, alg: string): Promise<string> {
    const jwk = await getJwk(kid);
    const kty = alg.startsWith('RS') || alg.startsWith('PS') ? 'RSA' : 'EC';
    const crv = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg];
    if (jwk.kty !== kty || (crv !== undefined && jwk.crv !== crv) || (jwk.alg !== undefined && jwk.alg !== alg)) {
      throw new UnauthenticatedError('token algorithm does not match its key');
    }
    const cacheKey = `${alg}:${kid}`;
    let pem = pems.get(cacheKey);
    if (!pem) {
      try {
        const key = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
        if (kty === 'RSA' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new Error('RSA key shorter than 2048 bits');
        pem = key.export({ type: 'spki', format: 'pem' }) as string;
      } catch (error) {
        options.log?.warn({ kid, reason: error instanceof Error ? error.message : String(error) }, 'unusable key in the JWKS');
        throw new UnauthenticatedError('the key for this token is not usable');
      }
      pems.set(cacheKey, pem);
    }
    return pem;
  }

  return { getPublicKey };
}

const SAFE_ALG = /^[A-Za-z0-9]{1,16}$/;

/**
 * Bearer tokens verified against keys from the configured JWKS URL only (never a URL
 * taken from the token), with pinned algorithms, exact issuer and audience, and a small
 * clock skew. Works for Entra ID v1 and v2 access tokens as they are.
 */
export const authPlugin = fp<{ config: Config; keySet?: Omit<KeySetOptions, 'url'> }>(
  async (app, { config, keySet: keySetOptions }) => {
    const keySet = createKeySet({ url: config.AUTH_JWKS_URL, log: app.log, ...keySetOptions });
    const algorithms = config.AUTH_ALGORITHMS as string[];

    await app.register(fastifyJwt, {
      decode: { complete: true },
      secret: async (_request: FastifyRequest, token: { header: { alg?: unknown; kid?: unknown; crit?: unknown } }) => {
        const { alg, kid, crit } = token.header;
        if (typeof alg !== 'string' || !algorithms.includes(alg)) {
          throw new UnauthenticatedError(`token algorithm ${typeof alg === 'string' && SAFE_ALG.test(alg) ? alg : alg === undefined ? 'none' : '(unreadable)'} is not accepted`);
        }
        if (typeof kid !== 'string' || !kid || kid.length > 256) throw new UnauthenticatedError('token has no usable key id (kid)');
        // RFC 7515 §4.1.11: critical header extensions this service does not understand make the token invalid.
        if (crit !== undefined) throw new UnauthenticatedError('token has critical header extensions (crit) this service does not support');
        // The key comes from the configured JWKS URL only, not from the token's iss, jku, x5u, x5c or jwk.
        return keySet.getPublicKey(kid, alg);
      },
      verify: {
        algorithms,
        allowedIss: config.AUTH_ISSUER,
        allowedAud: config.AUTH_AUDIENCE,
        // fast-jwt takes the tolerance in milliseconds; the setting is in seconds.
        clockTolerance: config.AUTH_CLOCK_SKEW_SECONDS * 1000,
        requiredClaims: ['exp', 'iss', 'aud'],
      },
    } as Parameters<typeof fastifyJwt>[1]);

    app.decorateRequest('principal', null as unknown as Principal);
    app.decorate('authenticate', async (request: FastifyRequest) => {
      let claims: Claims;
      try {
        claims = await request.jwtVerify<Claims>();
      } catch (error) {
        if (error instanceof SigningKeysUnavailableError) throw error;
        throw new UnauthenticatedError(describe(error), (error as { code?: string }).code === 'FST_JWT_NO_AUTHORIZATION_IN_HEADER');
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
