import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Whether `port` on `host` can be bound right now (false when something else holds it). */
export async function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  child?: ChildProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`${what} exited (${child.signalCode ?? `code ${child.exitCode}`}) before it became ready`);
    }
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} was not ready within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
}

// ---------- Services: long-running children in their own process group ----------

export interface ServiceRecord {
  name: string;
  pid: number;
  /** Kernel start time of the process (Linux), so a recorded pid is never confused with a reused one. */
  startTime?: string;
}

/** Every service started by this process and not yet seen to exit. */
const running = new Map<number, { name: string; child: ChildProcess; startTime?: string }>();
let exitHookInstalled = false;

function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // the whole group is gone
  }
}

/** Services this process started that are still running (for a run record a later start can clean up after a crash). */
export function runningServices(): ServiceRecord[] {
  return [...running.entries()].map(([pid, { name, startTime }]) => ({
    name,
    pid,
    ...(startTime ? { startTime } : {}),
  }));
}

/**
 * Splits a stream into whole lines (a chunk may end mid-line) and hands each non-empty one to `onLine`.
 */
function forEachLine(stream: NodeJS.ReadableStream | null | undefined, onLine: (line: string) => void): void {
  if (!stream) return;
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (pending + chunk).split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) if (line.trim()) onLine(line.replace(/\r$/, ''));
  });
  stream.on('end', () => {
    if (pending.trim()) onLine(pending);
    pending = '';
  });
}

/**
 * Starts a long-running service in its own process group, so stopping it also stops
 * anything it forked, and a Ctrl-C in the terminal reaches only the process that owns it
 * (which then stops its services in order). Services still running when this process
 * exits get SIGTERM, so nothing outlives the stack that started it.
 */
export function startService(
  command: string,
  args: string[],
  options: SpawnOptions & { name: string; log?: (line: string) => void; onLine?: (line: string) => void },
): ChildProcess {
  const { name, log, onLine, ...spawnOptions } = options;
  const child = spawn(command, args, { ...spawnOptions, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const handle = onLine ?? (log ? (line: string) => log(`[${name}] ${line}`) : () => {});
  forEachLine(child.stdout, handle);
  forEachLine(child.stderr, handle);
  if (child.pid !== undefined) {
    const pid = child.pid;
    running.set(pid, { name, child, startTime: processStartTime(pid) });
    child.once('exit', () => running.delete(pid));
  }
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const pid of running.keys()) signalGroup(pid, 'SIGTERM');
    });
  }
  return child;
}

/**
 * SIGTERM to the service's process group; SIGKILL to the group after `graceMs`. Resolves once
 * the service has exited and nothing is left in its group.
 */
export async function stopService(child: ChildProcess, graceMs = 10_000): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    signalGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
  // The leader is gone; anything it forked into its group goes too.
  await stopProcessGroup(pid, 2_000);
}

/** Every service this process started, stopped by group (a last-resort sweep after the orderly stop). */
export async function stopAllServices(graceMs = 10_000): Promise<void> {
  await Promise.allSettled([...running.values()].map(({ child }) => stopService(child, graceMs)));
}

/** SIGKILL to every service group this process started, at once (a second Ctrl-C). */
export function killAllServices(): void {
  for (const pid of running.keys()) signalGroup(pid, 'SIGKILL');
}

// ---------- /proc helpers (Linux): find and stop what an earlier, crashed run left behind ----------

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces; fields after it are plain.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  startTime: string;
  argv: string[];
  cwd?: string;
}

export function processInfo(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((part) => part !== '');
    let cwd: string | undefined;
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      /* not ours to read */
    }
    return {
      pid,
      state: fields[0]!,
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

/** Live (non-zombie) processes on this machine, read from /proc; empty where there is no /proc. */
export function listProcesses(): ProcessInfo[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const all: ProcessInfo[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const info = processInfo(Number(entry));
    if (info && info.state !== 'Z') all.push(info);
  }
  return all;
}

/** Whether `pid` is alive and, when `startTime` is given, still the same process (not a reused pid). */
export function isAlive(pid: number, startTime?: string): boolean {
  const info = processInfo(pid);
  if (!info || info.state === 'Z') return false;
  return startTime === undefined || info.startTime === startTime;
}

/**
 * A process is orphaned when the program that started it is gone: it was re-parented to init
 * (or a subreaper), which is not a node process.
 */
export function isOrphaned(info: ProcessInfo): boolean {
  if (info.ppid <= 1) return true;
  const parent = processInfo(info.ppid);
  return !parent || !/(^|\/)node$/.test(parent.argv[0] ?? '');
}

function groupHasMembers(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  // kill(…, 0) also succeeds for zombies; only live members count.
  return listProcesses().some((info) => info.pgid === pgid);
}

/** SIGTERM (or `signal`) to a process group, SIGKILL after `graceMs`; resolves when the group is empty. */
export async function stopProcessGroup(
  pgid: number,
  graceMs = 10_000,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (!groupHasMembers(pgid)) return;
  signalGroup(pgid, signal);
  const deadline = Date.now() + graceMs;
  while (groupHasMembers(pgid)) {
    if (Date.now() > deadline) {
      signalGroup(pgid, 'SIGKILL');
      if (Date.now() > deadline + 5_000) throw new Error(`process group ${pgid} did not exit after SIGKILL`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Signals one process, SIGKILL after `graceMs`; resolves when it has exited. */
export async function stopProcess(
  pid: number,
  startTime: string | undefined,
  graceMs = 10_000,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (!isAlive(pid, startTime)) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid, startTime)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      if (Date.now() > deadline + 5_000) throw new Error(`process ${pid} did not exit after SIGKILL`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
