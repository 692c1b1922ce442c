import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';

/**
 * A local token issuer for dev and tests: an ES256 key kept under .data/, its public half
 * served as a JWKS. The API trusts it only through AUTH_* settings, which production refuses.
 */
export { DEV_ISSUER, DEV_AUDIENCE } from '../src/auth/dev-issuer';
import { DEV_ISSUER, DEV_AUDIENCE } from '../src/auth/dev-issuer';
const KID = 'breakglass-dev-1';

interface StoredKey {
  privateJwk: JWK;
  publicJwk: JWK;
}

export async function loadOrCreateDevKey(dir: string): Promise<StoredKey> {
  const file = join(dir, 'dev-signing-key.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as StoredKey;
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const stored: StoredKey = {
    privateJwk: { ...(await exportJWK(privateKey)), kid: KID, alg: 'ES256' },
    publicJwk: { ...(await exportJWK(publicKey)), kid: KID, alg: 'ES256', use: 'sig' },
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify(stored), { mode: 0o600 });
  return stored;
}

export async function serveDevJwks(
  key: StoredKey,
  port = 0,
): Promise<{ url: string; close(): Promise<void>; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [key.publicJwk] }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return { url, server, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export async function mintDevToken(
  key: StoredKey,
  options: { principal: string; roles?: string[]; name?: string; ttlSeconds?: number },
): Promise<string> {
  const privateKey = await importJWK(key.privateJwk, 'ES256');
  return new SignJWT({ oid: options.principal, roles: options.roles ?? [], name: options.name ?? options.principal })
    .setProtectedHeader({ alg: 'ES256', kid: KID, typ: 'JWT' })
    .setIssuer(DEV_ISSUER)
    .setAudience(DEV_AUDIENCE)
    .setSubject(options.principal)
    .setIssuedAt()
    .setNotBefore('0s')
    .setExpirationTime(`${options.ttlSeconds ?? 3600}s`)
    .sign(privateKey);
}
