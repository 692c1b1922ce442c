import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, renameSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import { dirname, resolve } from 'node:path';
import { checkApiVersion } from './api-versions';
import { KvError, missingToken } from './errors';
import { Faults } from './faults';
import { createSecretsHandler } from './secrets';
import { now, Store } from './store';
import { ensureTls, tlsNames } from './tls';

/**
 * Local stand-in for the Azure Key Vault *secrets* data plane, spoken to by the real
 * @azure/keyvault-secrets SDK over HTTPS. See README.md for scope and known deviations.
 */

export interface KeyVaultEmulatorOptions {
  port?: number;
  host?: string;
  dataDir: string;
  log?: (line: string) => void;
  /** Test-only fault switch (PUT /_faults/secrets/{name}); see faults.ts. Off by default. */
  faults?: boolean;
  /** Extra names for the server certificate besides localhost and 127.0.0.1 (a Compose service name). */
  tlsNames?: string[];
  /** Also write the CA certificate here (atomically), for clients that share only this file. */
  caOut?: string;
}

export interface KeyVaultEmulator {
  url: string;
  port: number;
  caCertPath: string;
  faults: boolean;
  close(): Promise<void>;
}

export { FAULT_KINDS, type FaultKind } from './faults';

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'cache-control': 'no-cache',
    'x-ms-request-id': randomUUID(),
    'x-ms-keyvault-service-version': '1.9.0.0-breakglass-emulator',
    ...(body === undefined
      ? {}
      : { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(payload)) }),
    ...headers,
  });
  res.end(payload);
}

export async function startKeyVaultEmulator(opts: KeyVaultEmulatorOptions): Promise<KeyVaultEmulator> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const log = opts.log ?? (() => {});
  const host = opts.host ?? '127.0.0.1';
  const tls = ensureTls(dataDir, tlsNames(opts.tlsNames));
  if (opts.caOut) {
    const target = resolve(opts.caOut);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(tls.caCertPath, `${target}.tmp`);
    renameSync(`${target}.tmp`, target);
  }
  const store = new Store(dataDir);
  const faults = new Faults(opts.faults === true);
  const route = createSecretsHandler(store, faults);
  let fallbackBase = '';

  const server: Server = createServer({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://emulator.invalid');
    // Ids echo the authority the client used, as Key Vault echoes its own vault URI.
    const base = req.headers.host ? `https://${req.headers.host}` : fallbackBase;
    const finish = (status: number, body?: unknown, headers?: Record<string, string>) => {
      send(res, status, body, headers);
      // Method, path and status only: bodies carry secret values.
      log(`[keyvault-emulator] ${req.method} ${url.pathname} ${status}`);
    };
    void (async () => {
      try {
        if (req.method === 'GET' && url.pathname === '/ping') return finish(200, { ok: true });
        const fault = /^\/_faults\/secrets\/([^/]+)$/.exec(url.pathname);
        if (fault) {
          const reply = await faults.admin(req, decodeURIComponent(fault[1]!));
          return finish(reply.status, reply.body);
        }
        if (!/^Bearer\s+\S+/i.test(req.headers.authorization ?? '')) throw missingToken();
        checkApiVersion(url.searchParams.get('api-version'));
        store.purgeExpired(now());
        const reply = await route(req, url, base);
        finish(reply.status, reply.body);
      } catch (error) {
        if (error instanceof KvError) return finish(error.status, error.body(), error.headers);
        log(`[keyvault-emulator] internal error: ${error instanceof Error ? error.message : String(error)}`);
        finish(500, { error: { code: 'InternalServerError', message: 'The emulator hit an internal error.' } });
      }
    })();
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('emulator did not bind a TCP port');
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `https://${urlHost}:${address.port}`;
  fallbackBase = url;
  log(`[keyvault-emulator] listening on ${url} (data in ${dataDir}${faults.enabled ? '; fault switch ON' : ''})`);

  return {
    url,
    port: address.port,
    caCertPath: tls.caCertPath,
    faults: faults.enabled,
    close: () =>
      new Promise<void>((resolvePromise) => {
        server.close(() => resolvePromise());
        // Keep-alive sockets from SDK agents would otherwise hold close() open indefinitely.
        server.closeAllConnections();
      }),
  };
}
