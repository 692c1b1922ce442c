import {
  createHmac,
  createSign,
  generateKeyPairSync,
  randomBytes,
  constants,
  type KeyObject,
  type JsonWebKey,
} from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEV_AUDIENCE, DEV_ISSUER } from '../../src/auth/dev-issuer';

/**
 * Hand-rolled JWTs for attack tests: node:crypto signs whatever header and algorithm we ask
 * for (jose refuses mismatches such as ES384 over a P-256 key, which is exactly what we want to send).
 */

export const b64url = (input: Buffer | string) => Buffer.from(input).toString('base64url');
export const encodePart = (value: unknown) => b64url(JSON.stringify(value));

export type Claims = Record<string, unknown>;
export type Header = Record<string, unknown>;

/** Good claims for the dev issuer and audience, valid now for an hour. */
export function goodClaims(overrides: Claims = {}): Claims {
  const now = Math.floor(Date.now() / 1000);
  const principal = 'token-tester';
  const claims: Claims = {
    iss: DEV_ISSUER,
    aud: DEV_AUDIENCE,
    sub: principal,
    oid: principal,
    roles: [],
    iat: now,
    nbf: now,
    exp: now + 3600,
    ...overrides,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return claims;
}

export interface TestKey {
  kid: string;
  kind: 'EC' | 'RSA';
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Public JWK with kid, alg and use, as a JWKS would publish it. */
  publicJwk: JsonWebKey & { kid: string; alg: string; use: string };
  alg: 'ES256' | 'RS256';
}

export function newKey(kind: 'EC' | 'RSA', kid: string): TestKey {
  const { privateKey, publicKey } =
    kind === 'EC'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const alg = kind === 'EC' ? 'ES256' : 'RS256';
  return {
    kid,
    kind,
    privateKey,
    publicKey,
    alg,
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' },
  };
}

const HASH: Record<string, string> = { 256: 'sha256', 384: 'sha384', 512: 'sha512' };

/** Signs `header.payload` with the given algorithm and key, whatever their fit. */
export function signRaw(alg: string, key: KeyObject | Buffer | string, signingInput: string): Buffer {
  const family = alg.slice(0, 2);
  const hash = HASH[alg.slice(2)];
  if (!hash) throw new Error(`unknown alg ${alg}`);
  if (family === 'HS')
    return createHmac(hash, key as Buffer | string)
      .update(signingInput)
      .digest();
  const signer = createSign(hash).update(signingInput);
  if (family === 'RS') return signer.sign(key as KeyObject);
  if (family === 'PS')
    return signer.sign({
      key: key as KeyObject,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
  if (family === 'ES') return signer.sign({ key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
  throw new Error(`unknown alg ${alg}`);
}

/** A compact JWS with exactly this header (alg included) and payload. */
export function jwt(header: Header, payload: Claims | string, key: KeyObject | Buffer | string | null): string {
  const input = `${encodePart(header)}.${typeof payload === 'string' ? b64url(payload) : encodePart(payload)}`;
  if (key === null) return `${input}.`;
  return `${input}.${b64url(signRaw(String(header.alg), key, input))}`;
}

/** A normal, valid token signed by `key` with its own alg and kid. */
export function sign(key: TestKey, claims: Claims = goodClaims(), header: Header = {}): string {
  return jwt({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header }, claims, key.privateKey);
}

export interface JwksServer {
  url: string;
  /** Every request the server received (method and path). */
  requests: string[];
  setKeys(keys: unknown[]): void;
  /** Answer with this status (and no keys) until set back to 200. */
  setStatus(status: number): void;
  close(): Promise<void>;
}

/** A JWKS on localhost whose key set (and health) a test controls, counting every request. */
export async function serveJwks(initial: unknown[] = []): Promise<JwksServer> {
  let keys = initial;
  let status = 200;
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (status !== 200) {
      res.writeHead(status, { 'content-type': 'application/json' }).end('{"error":"down"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return {
    url,
    requests,
    setKeys(next) {
      keys = next;
    },
    setStatus(next) {
      status = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const randomSecret = () => randomBytes(32);
