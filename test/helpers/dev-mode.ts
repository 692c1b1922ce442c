import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

/**
 * Runs dev mode (`node --import tsx scripts/dev.ts`) the way a developer does, in its own
 * process group (as a terminal's foreground job is), and inspects what it leaves behind
 * through /proc. Everything here acts only on processes this test started: the dev process,
 * its descendants, and processes working in the test's own temporary data dir.
 */

export const ROOT = join(__dirname, '..', '..');

/**
 * Configuration that would make dev mode use something other than what it provisions itself,
 * and what the test runner or tap set for themselves. Provisioning settings (TEMPORAL_CLI,
 * BREAKGLASS_CACHE_DIR, BREAKGLASS_KEYVAULT, LOWKEY_VAULT_JAR, JAVA_HOME…) are kept.
 */
const STRIPPED =
  /^(DATABASE_|TEMPORAL_(ADDRESS|NAMESPACE|TASK_QUEUE)$|KEYVAULT_|AUTH_|PORT$|HOST$|NODE_OPTIONS$|NODE_ENV$|LOG_LEVEL$|ALERT_WEBHOOK_URLS$|BREAKGLASS_(DATA_DIR|TEST_STACK|DEV_VERBOSE|WORKFLOW_BUNDLE)$|TAP)/;

export function devEnv(dataDir: string, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!STRIPPED.test(key) && value !== undefined) env[key] = value;
  return { ...env, BREAKGLASS_DATA_DIR: dataDir, PORT: String(port) };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
}

export interface Endpoints {
  apiUrl: string;
  temporalAddress: string;
  temporalUiUrl?: string;
  keyVaultUrl: string;
  postgresPort?: number;
  /** host:port pairs of everything the ready lines name. */
  ports: Array<{ what: string; host: string; port: number }>;
}

export class DevRun {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private signalledAt = 0;
  private readonly started = Date.now();

  /** `via: 'npm'` runs `npm run dev` (npm, a shell and the tsx CLI in front of dev mode) instead. */
  constructor(dataDir: string, port: number, options: { via?: 'node' | 'npm'; env?: NodeJS.ProcessEnv } = {}) {
    const [command, args] =
      options.via === 'npm'
        ? ['npm', ['run', '--silent', 'dev']]
        : [process.execPath, ['--import', 'tsx', 'scripts/dev.ts']];
    this.child = spawn(command, args, {
      cwd: ROOT,
      env: { ...devEnv(dataDir, port), ...options.env },
      detached: true, // its own process group, like a terminal's foreground job
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (this.child.pid === undefined) throw new Error('dev mode did not start');
    this.pid = this.child.pid;
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) =>
        resolve({ code, signal, ms: Date.now() - (this.signalledAt || this.started) }),
      ),
    );
  }

  get output(): string {
    return `${this.stdout}${this.stderr ? `\n[stderr]\n${this.stderr}` : ''}`;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the output once `pattern` shows up; rejects if the process exits first or time runs out. */
  async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (pattern.test(this.output)) return this.output;
      if (!this.running)
        throw new Error(
          `dev mode exited (${this.child.exitCode ?? this.child.signalCode}) before printing ${pattern}:\n${this.output}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`dev mode did not print ${pattern} within ${timeoutMs} ms:\n${this.output}`);
  }

  /** Ctrl-C in a terminal: SIGINT to the whole foreground process group. */
  interruptGroup(): void {
    if (!this.running)
      throw new Error(`dev mode had already exited (${this.child.exitCode ?? this.child.signalCode}):\n${this.output}`);
    this.signalledAt = Date.now();
    process.kill(-this.pid, 'SIGINT');
  }

  /** A supervisor's stop, or `kill <pid>`: the signal to the dev process alone. */
  signal(signal: NodeJS.Signals): void {
    this.signalledAt = Date.now();
    this.child.kill(signal);
  }

  /** Waits for the exit; on timeout reports null (the caller asserts and cleans up). */
  async waitForExit(timeoutMs: number): Promise<Exit | null> {
    return Promise.race([
      this.exited,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs).unref()),
    ]);
  }
}

/** Parses the ready block (the "breakglass dev ready" line and the indented lines after it). */
export function parseReady(output: string): Endpoints {
  const grab = (pattern: RegExp, what: string): string => {
    const match = pattern.exec(output);
    if (!match) throw new Error(`no ${what} in the ready lines:\n${output}`);
    return match[1]!;
  };
  const apiUrl = grab(/breakglass dev ready[^\n]*API (http:\/\/\S+)/, 'API URL');
  const temporalAddress = grab(/^\s+Temporal\s+(\S+)/m, 'Temporal address');
  const temporalUiUrl = /^\s+Temporal\s+\S+.*\bUI (http:\/\/\S+)/m.exec(output)?.[1];
  const keyVaultUrl = grab(/^\s+Key Vault\s+(https:\/\/\S+)/m, 'Key Vault URL');
  const postgres = /^\s+Postgres\s+[^\s:]+:(\d+)/m.exec(output);
  const ports: Endpoints['ports'] = [];
  const add = (what: string, hostPort: string) => {
    const url = new URL(hostPort.includes('://') ? hostPort : `tcp://${hostPort}`);
    ports.push({ what, host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) });
  };
  add('API', apiUrl);
  add('Temporal', temporalAddress);
  if (temporalUiUrl) add('Temporal UI', temporalUiUrl);
  add('Key Vault', keyVaultUrl);
  if (postgres) ports.push({ what: 'Postgres', host: '127.0.0.1', port: Number(postgres[1]) });
  return {
    apiUrl,
    temporalAddress,
    ...(temporalUiUrl ? { temporalUiUrl } : {}),
    keyVaultUrl,
    ...(postgres ? { postgresPort: Number(postgres[1]) } : {}),
    ports,
  };
}

// ---------- /proc ----------

export interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  startTime: string;
  argv: string[];
  cwd?: string;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined; // a zombie runs nothing
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    let cwd: string | undefined;
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      /* gone, or not readable */
    }
    return {
      pid,
      ppid: Number(fields[1]),
      pgid: Number(fields[2]),
      startTime: fields[19]!,
      argv,
      ...(cwd ? { cwd } : {}),
    };
  } catch {
    return undefined;
  }
}

export function allProcesses(): Proc[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => readProc(Number(entry)))
    .filter((proc): proc is Proc => proc !== undefined);
}

/** The process and everything below it (by parent pid), as it is right now. */
export function processTree(rootPid: number): Proc[] {
  const all = allProcesses();
  const tree: Proc[] = [];
  const frontier = [rootPid];
  while (frontier.length) {
    const pid = frontier.pop()!;
    for (const proc of all) {
      if (proc.ppid === pid && !tree.some((seen) => seen.pid === proc.pid)) {
        tree.push(proc);
        frontier.push(proc.pid);
      }
    }
  }
  const root = all.find((proc) => proc.pid === rootPid);
  return root ? [root, ...tree] : tree;
}

/** The directories whose mention marks a process as ours: the data dir and where its symlinks point. */
export function ownedDirs(dataDir: string): string[] {
  const dirs = new Set([dataDir]);
  try {
    dirs.add(realpathSync(dataDir));
  } catch {
    /* not there yet */
  }
  for (const entry of ['postgres', 'temporal', 'keyvault']) {
    try {
      dirs.add(realpathSync(join(dataDir, entry)));
    } catch {
      /* not there */
    }
  }
  return [...dirs];
}

/** Live processes whose command line or working directory is inside one of `dirs`. */
export function processesUsing(dirs: string[]): Proc[] {
  const inside = (path: string) =>
    dirs.some(
      (dir) => path === dir || path.startsWith(`${dir}/`) || path.includes(`${dir}/`) || path.includes(`=${dir}`),
    );
  return allProcesses().filter(
    (proc) => proc.pid !== process.pid && (proc.argv.some(inside) || (proc.cwd !== undefined && inside(proc.cwd))),
  );
}

/** Processes of a snapshot that are still the same processes and still alive. */
export function stillAlive(snapshot: Proc[]): Proc[] {
  return snapshot.filter((proc) => readProc(proc.pid)?.startTime === proc.startTime);
}

export const describe = (procs: Proc[]): string =>
  procs.map((proc) => `${proc.pid} ${proc.argv.join(' ').slice(0, 160)}`).join('\n');

/** Resolves true when a TCP connection to host:port is refused (nothing listens there). */
export function refusesConnections(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/**
 * Test hygiene after a failure: SIGKILL what this test started and what is still left of it
 * (the given snapshots, plus anything working in the test's own data dir). Never by name.
 */
export function killLeftovers(snapshots: Proc[], dirs: string[]): Proc[] {
  const victims = new Map<number, Proc>();
  for (const proc of stillAlive(snapshots)) victims.set(proc.pid, proc);
  for (const proc of processesUsing(dirs)) victims.set(proc.pid, proc);
  for (const proc of victims.values()) {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return [...victims.values()];
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}
