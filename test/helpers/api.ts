import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app';
import { createAppDeps } from '../../src/app-deps';
import { parseConfig } from '../../src/config';
import { loggerOptions } from '../../src/logging';
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevKey, mintDevToken, serveDevJwks } from '../../devstack/dev-identity';
import { harnessEnv, setupHarness, type Harness } from './harness';

export interface ApiHarness {
  h: Harness;
  app: FastifyInstance;
  baseUrl: string;
  jwksUrl: string;
  /** Every log line the API wrote during the test file. */
  logs: string[];
  token(principal: string, roles?: string[]): Promise<string>;
  call(
    method: string,
    path: string,
    options?: { token?: string; as?: string; roles?: string[]; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; headers: Headers; body: any; text: string }>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** The real API on a real port, with the dev issuer's JWKS, the test stack and an in-process worker. */
export async function setupApi(
  t: Teardown,
  options: {
    env?: Record<string, string>;
    worker?: boolean;
    harness?: Harness;
    harnessOptions?: Parameters<typeof setupHarness>[1];
    /** A fixed port, for a configuration that names the API's own URL (CONSOLE_URL). */
    port?: number;
  } = {},
): Promise<ApiHarness> {
  // A given harness lets a second API instance share the first one's database and task queue.
  const h = options.harness ?? (await setupHarness(t, { worker: options.worker, ...options.harnessOptions }));
  const key = await loadOrCreateDevKey(mkdtempSync(join(tmpdir(), 'bg-idp-')));
  const jwks = await serveDevJwks(key);
  const config = parseConfig({
    ...harnessEnv(h),
    AUTH_ISSUER: DEV_ISSUER,
    AUTH_AUDIENCE: DEV_AUDIENCE,
    AUTH_JWKS_URL: jwks.url,
    AUTH_CLOCK_SKEW_SECONDS: '5',
    ...options.env,
  });
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const deps = createAppDeps(config);
  const app = await buildApp(deps, { logger: { ...(loggerOptions(config) as object), stream } });
  await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const address = app.server.address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  t.teardown(async () => {
    await app.close();
    await deps.close();
    await jwks.close();
  });

  const tokens = new Map<string, string>();
  async function token(principal: string, roles: string[] = []) {
    const cacheKey = `${principal}|${roles.join(',')}`;
    if (!tokens.has(cacheKey)) tokens.set(cacheKey, await mintDevToken(key, { principal, roles }));
    return tokens.get(cacheKey)!;
  }

  async function call(method: string, path: string, opts: Parameters<ApiHarness['call']>[2] = {}) {
    const headers: Record<string, string> = { ...opts.headers };
    const bearer = opts.token ?? (opts.as ? await token(opts.as, opts.roles) : undefined);
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: response.status, headers: response.headers, body: body as any, text };
  }

  return { h, app, baseUrl, jwksUrl: jwks.url, logs, token, call };
}
