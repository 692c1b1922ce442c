import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startService, stopService } from '../devstack/processes';

const ROOT = join(__dirname, '..');

export interface NodeService {
  name: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts a TypeScript entry point as its own Node process (as `npm run api` / `npm run worker`
 * do), so its resident memory is its own, and resolves once it prints a line matching `ready`.
 */
export async function startNode(
  name: string,
  script: string,
  env: Record<string, string>,
  ready: RegExp,
  log: (line: string) => void,
  nodeArgs: string[] = [],
): Promise<NodeService> {
  let onReady: () => void = () => {};
  const recent: string[] = [];
  const readyNow = new Promise<void>((resolve) => (onReady = resolve));
  const child = startService(process.execPath, [...nodeArgs, '--import', 'tsx', join(ROOT, script)], {
    name,
    cwd: ROOT,
    env: { ...process.env, ...env },
    onLine: (line) => {
      log(`[${name}] ${line}`);
      recent.push(line);
      if (recent.length > 10) recent.shift();
      if (ready.test(line)) onReady();
    },
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`${name} exited (${code}) before it was ready:\n  ${recent.join('\n  ')}`)),
    ),
  );
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`${name} was not ready within 120 s`)), 120_000).unref(),
  );
  await Promise.race([readyNow, exited, timeout]);
  return { name, child, stop: () => stopService(child) };
}

/** An alert webhook that accepts everything, so the lifecycle sends its alerts as in production. */
export async function startAlertSink(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
