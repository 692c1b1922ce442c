import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config';
import type { IssuerEntry } from './auth-config';
import { createKeySet, type KeySet, type KeySetOptions } from './jwks-cache';

export interface TrustedIssuer extends IssuerEntry {
  /** This issuer's own key set: its keys never verify a token that names another issuer. */
  keySet: KeySet;
}

export interface IssuerState {
  issuer: string;
  principal: IssuerEntry['principal'];
  state: 'ok' | 'degraded' | 'down';
  error?: string;
}

/**
 * The trusted issuers, looked up by a token's `iss` exactly (no normalisation, no prefix
 * match). The primary issuer (AUTH_ISSUER, AUTH_AUDIENCE, AUTH_JWKS_URL) maps its tokens to
 * principals by oid/sub as before; AUTH_ISSUERS entries do so through the mapping table unless
 * configured otherwise. Keys come from each issuer's configured JWKS URL, never from the token.
 */
export function createIssuers(
  config: Config,
  options: { log?: FastifyBaseLogger; keySet?: Omit<KeySetOptions, 'url'> } = {},
) {
  const entries: IssuerEntry[] = [
    {
      issuer: config.AUTH_ISSUER,
      audience: config.AUTH_AUDIENCE,
      jwksUrl: config.AUTH_JWKS_URL,
      algorithms: [...config.AUTH_ALGORITHMS],
      principal: 'token',
    },
    ...(config.AUTH_ISSUERS ?? []),
  ];
  const byIss = new Map<string, TrustedIssuer>(
    entries.map((entry) => [
      entry.issuer,
      {
        ...entry,
        keySet: createKeySet({ url: entry.jwksUrl, log: options.log, issuer: entry.issuer, ...options.keySet }),
      },
    ]),
  );
  const all = [...byIss.values()];

  return {
    /** The issuer a token claims, compared exactly; undefined when it is not trusted. */
    find(iss: unknown): TrustedIssuer | undefined {
      return typeof iss === 'string' ? byIss.get(iss) : undefined;
    },
    all,
    /** Every algorithm some issuer accepts (each issuer's own list is enforced per token). */
    algorithms: [...new Set(all.flatMap((entry) => entry.algorithms))],
    async states(): Promise<IssuerState[]> {
      return Promise.all(
        all.map(async (entry) => ({
          issuer: entry.issuer,
          principal: entry.principal,
          ...(await entry.keySet.probe()),
        })),
      );
    },
  };
}

export type Issuers = ReturnType<typeof createIssuers>;
