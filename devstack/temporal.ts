import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Connection } from '@temporalio/client';
import { cacheDir } from './cache';
import { withFileLock } from './file-lock';
import { freePort, isOrphaned, listProcesses, startService, stopProcessGroup, stopService, waitFor } from './processes';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';

/**
 * Dynamic config given to every dev server we start (dev, tests, bench). The dev server has one
 * history shard, and its transfer-queue reader is limited to 20 polls a second per shard, a
 * setting sized for a cluster with many shards: every activity task and every workflow task that
 * follows an activity completion waited 35–45 ms for it, about 70 % of a whole request's time.
 */
export const TEMPORAL_DYNAMIC_CONFIG: Readonly<Record<string, number>> = {
  'history.transferProcessorMaxPollRPS': 1000,
};

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}

/** TEMPORAL_CLI, else `temporal` on PATH, else a cached build of the pinned version (built with Go on first use). */
export async function resolveTemporalCli(log: (line: string) => void = () => {}): Promise<string> {
  if (process.env.TEMPORAL_CLI) {
    accessSync(process.env.TEMPORAL_CLI, constants.X_OK);
    return process.env.TEMPORAL_CLI;
  }
  const fromPath = onPath('temporal');
  if (fromPath) return fromPath;
  const dir = cacheDir('temporal-cli', TEMPORAL_CLI_VERSION);
  const binary = join(dir, 'temporal');
  if (existsSync(binary)) return binary;
  return withFileLock(
    join(dir, '.build.lock'),
    () => {
      if (existsSync(binary)) return binary;
      log(`building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go (first run only; takes several minutes)`);
      if (spawnSync('go', ['version']).status !== 0)
        throw new Error('the Temporal CLI is missing and Go is not installed to build it; set TEMPORAL_CLI');
      execFileSync('go', ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
        env: { ...process.env, GOBIN: dir, CGO_ENABLED: '0' },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      return binary;
    },
    { staleMs: 15 * 60_000, waitMs: 20 * 60_000, pollMs: 2000 },
  );
}

export interface TemporalDevServer {
  address: string;
  uiPort: number;
  stop(): Promise<void>;
}

/** Web UI port of each dev server this process started, by gRPC address (the stack hands out only the address). */
const uiPorts = new Map<string, number>();

/** The web UI of a dev server this process started at `address`, if it has one. */
export function temporalUiUrl(address: string): string | undefined {
  const port = uiPorts.get(address);
  return port === undefined ? undefined : `http://127.0.0.1:${port}`;
}

/**
 * A dev server left running on `dbFile` by an earlier run that died without stopping it would
 * hold the SQLite file; one whose starter is gone is stopped, one still owned is an error.
 */
async function stopLeftoverServer(dbFile: string, log: (line: string) => void): Promise<void> {
  for (const info of listProcesses()) {
    const at = info.argv.indexOf('--db-filename');
    if (at === -1 || info.argv[at + 1] !== dbFile || !info.argv.includes('start-dev')) continue;
    if (!isOrphaned(info)) {
      throw new Error(
        `a Temporal dev server (pid ${info.pid}, started by pid ${info.ppid}) is already running on ${dbFile}; stop it first`,
      );
    }
    log(`[temporal] stopping a dev server left running on ${dbFile} by an earlier run (pid ${info.pid})`);
    await stopProcessGroup(info.pgid, 10_000);
  }
}

interface TemporalStartOptions {
  dbFile?: string;
  log?: (line: string) => void;
  port?: number;
  /** Replaces TEMPORAL_DYNAMIC_CONFIG (the bench passes {} to measure the stock limits). */
  dynamicConfig?: Readonly<Record<string, number>>;
}

/**
 * The ports are free when chosen, but on a busy machine (a test run's many connections) another
 * process can take one before the server binds it, the HTTP port the CLI picks itself included:
 * the start is tried again on new ports.
 */
export async function startTemporalDevServer(options: TemporalStartOptions): Promise<TemporalDevServer> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (attempt >= 3 || !/address already in use/.test((error as Error).message)) throw error;
      options.log?.(`[temporal] a port was taken before the server bound it; starting again (attempt ${attempt + 1})`);
    }
  }
}

async function startOnce(options: TemporalStartOptions): Promise<TemporalDevServer> {
  const log = options.log ?? (() => {});
  const cli = await resolveTemporalCli(log);
  const port = options.port ?? (await freePort());
  const uiPort = await freePort();
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--log-level',
    'warn',
    '--namespace',
    'default',
  ];
  for (const [key, value] of Object.entries(options.dynamicConfig ?? TEMPORAL_DYNAMIC_CONFIG))
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  if (options.dbFile) {
    mkdirSync(join(options.dbFile, '..'), { recursive: true });
    await stopLeftoverServer(options.dbFile, log);
    args.push('--db-filename', options.dbFile);
  } else {
    args.push('--headless');
  }
  // Its last lines go into the error if it fails to start, even when nobody is logging.
  const recent: string[] = [];
  const child = startService(cli, args, {
    name: 'temporal',
    onLine: (line) => {
      recent.push(line);
      if (recent.length > 20) recent.shift();
      log(`[temporal] ${line}`);
    },
  });
  const address = `127.0.0.1:${port}`;
  try {
    await waitFor(
      'Temporal dev server',
      async () => {
        const connection = await Connection.connect({ address, connectTimeout: 1000 });
        try {
          await connection.workflowService.describeNamespace({ namespace: 'default' });
          return true;
        } finally {
          await connection.close();
        }
      },
      60_000,
      child,
    );
  } catch (error) {
    await stopService(child);
    const tail = recent.length ? `; its last output:\n  ${recent.join('\n  ')}` : '';
    throw new Error(`${(error as Error).message}${tail}`);
  }
  if (!options.dbFile) {
    return { address, uiPort, stop: () => stopService(child) };
  }
  uiPorts.set(address, uiPort);
  return {
    address,
    uiPort,
    stop: async () => {
      uiPorts.delete(address);
      await stopService(child);
    },
  };
}
