import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { SigningKeysUnavailableError, UnauthenticatedError } from './errors';

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
  /** Named in the 503 when no keys can be had. */
  issuer?: string;
}

/**
 * One issuer's JSON Web Key Set, fetched only from the configured URL (never from a token's
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
  let lastError: string | null = null;
  const pems = new Map<string, string>();

  async function fetchSet(): Promise<Map<string, Jwk>> {
    const response = await doFetch(options.url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
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
        lastError = null;
        pems.clear();
      })
      .catch((error: unknown) => {
        lastError = error instanceof Error ? error.message : String(error);
        options.log?.warn(
          { jwksUrl: options.url, reason: error instanceof Error ? error.message : String(error) },
          'could not fetch the signing keys; keeping the last good set',
        );
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
      if (!keys) throw new SigningKeysUnavailableError(options.issuer);
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
        const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
        if (kty === 'RSA' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048)
          throw new Error('RSA key shorter than 2048 bits');
        pem = key.export({ type: 'spki', format: 'pem' }) as string;
      } catch (error) {
        options.log?.warn(
          { kid, reason: error instanceof Error ? error.message : String(error) },
          'unusable key in the JWKS',
        );
        throw new UnauthenticatedError('the key for this token is not usable');
      }
      pems.set(cacheKey, pem);
    }
    return pem;
  }

  /**
   * For readiness: fetches when no set is held or the held one is stale (within the cooldown),
   * then reports `ok` (fresh keys), `degraded` (the last fetch failed; older keys still serve)
   * or `down` (no keys: this issuer's tokens get 503 until a fetch succeeds).
   */
  async function probe(waitMs = 2_000): Promise<{ state: 'ok' | 'degraded' | 'down'; error?: string }> {
    const now = Date.now();
    const pending =
      (!keys || now - loadedAt > ttlMs || lastError) && now - lastAttemptAt >= cooldownMs ? refresh() : inflight;
    if (pending) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([pending, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]).finally(() =>
        clearTimeout(timer),
      );
    }
    if (!keys) return { state: 'down', error: lastError ?? 'no keys fetched yet' };
    return lastError ? { state: 'degraded', error: lastError } : { state: 'ok' };
  }

  return { getPublicKey, probe };
}

export type KeySet = ReturnType<typeof createKeySet>;
