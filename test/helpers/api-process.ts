import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevKey, mintDevToken, serveDevJwks } from '../../devstack/dev-identity';
import { harnessEnv, type Harness } from './harness';
import { eventually } from './wait';

const ROOT = join(__dirname, '..', '..');

interface Teardown {
  teardown(fn: () => unknown): void;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface ApiProcess {
  baseUrl: string;
  output: string[];
  /** The running process (replaced by `restart`). */
  child(): ChildProcess;
  kill(signal?: NodeJS.Signals): Promise<void>;
  restart(): Promise<void>;
  call(
    method: string,
    path: string,
    options: { as: string; roles?: string[]; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; ms: number }>;
}

/**
 * The API as its own OS process (src/server.ts, as in production) on a fixed port, so a test
 * can SIGKILL it mid-request and start it again on the same address.
 */
export async function spawnApi(t: Teardown, h: Harness, env: Record<string, string> = {}): Promise<ApiProcess> {
  const key = await loadOrCreateDevKey(mkdtempSync(join(tmpdir(), 'bg-idp-')));
  const jwks = await serveDevJwks(key);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  let child: ChildProcess;

  const start = async () => {
    child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'server.ts')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...harnessEnv(h),
        LOG_LEVEL: 'warn',
        PORT: String(port),
        AUTH_ISSUER: DEV_ISSUER,
        AUTH_AUDIENCE: DEV_AUDIENCE,
        AUTH_JWKS_URL: jwks.url,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream!.setEncoding('utf8');
      stream!.on('data', (chunk: string) => output.push(chunk));
    }
    await eventually('the API process to listen', async () => (await fetch(`${baseUrl}/healthz`)).ok, 60_000, 100);
  };

  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };

  const tokens = new Map<string, string>();
  const call: ApiProcess['call'] = async (method, path, options) => {
    const cacheKey = `${options.as}|${(options.roles ?? []).join(',')}`;
    if (!tokens.has(cacheKey))
      tokens.set(cacheKey, await mintDevToken(key, { principal: options.as, roles: options.roles }));
    const headers: Record<string, string> = { authorization: `Bearer ${tokens.get(cacheKey)}`, ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const started = Date.now();
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: response.status, body, ms: Date.now() - started };
  };

  await start();
  t.teardown(async () => {
    await kill('SIGTERM');
    await jwks.close();
  });
  return { baseUrl, output, child: () => child, kill, restart: start, call };
}
