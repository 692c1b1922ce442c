import { execFileSync, spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../../devstack/cache';
import { withFileLock } from '../../devstack/file-lock';

/** Pinned, so every machine runs the same checks; the venv is cached per version outside the clone. */
export const SCHEMATHESIS_VERSION = '4.32.5';

const INSTALL_TIMEOUT_MS = 10 * 60_000;

/**
 * The `st` command of a Schemathesis installed from PyPI into a cached virtual environment
 * (~/.cache/breakglass/schemathesis/<version>/), created on first use. Needs only python3
 * (3.9 or later, with its venv module) and PyPI.
 */
export async function ensureSchemathesis(log: (line: string) => void = () => {}): Promise<string> {
  const dir = cacheDir('schemathesis', SCHEMATHESIS_VERSION);
  const venv = join(dir, 'venv');
  const st = join(venv, 'bin', 'st');
  // Written last: a half-finished install (interrupted run) is redone, not trusted.
  const done = join(dir, '.installed');
  if (existsSync(done)) return st;
  // One installer at a time across parallel test runs; a lock older than an install is stale.
  return withFileLock(
    join(dir, '.install.lock'),
    () => {
      if (existsSync(done)) return st;
      log(`installing Schemathesis ${SCHEMATHESIS_VERSION} from PyPI into ${venv} (first run only)`);
      const python = process.env.PYTHON ?? 'python3';
      rmSync(venv, { recursive: true, force: true });
      const run = (command: string, args: string[]) =>
        execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: INSTALL_TIMEOUT_MS });
      try {
        run(python, ['-m', 'venv', venv]);
        run(join(venv, 'bin', 'python'), [
          '-m',
          'pip',
          'install',
          '--quiet',
          '--disable-pip-version-check',
          `schemathesis==${SCHEMATHESIS_VERSION}`,
        ]);
      } catch (error) {
        const e = error as { stderr?: Buffer; message: string };
        throw new Error(
          `could not install Schemathesis with ${python} (needs python3 with venv, and PyPI): ${e.stderr?.toString() || e.message}`,
        );
      }
      writeFileSync(done, `${new Date().toISOString()}\n`);
      return st;
    },
    { staleMs: INSTALL_TIMEOUT_MS, waitMs: INSTALL_TIMEOUT_MS + 60_000 },
  );
}

export interface CommandResult {
  code: number | null;
  output: string;
  ms: number;
}

/** Runs a command without blocking the event loop (the API under test lives in this process). */
export function runCommand(
  command: string,
  args: string[],
  options: { cwd?: string; timeoutMs: number },
): Promise<CommandResult> {
  const started = Date.now();
  const child = spawn(command, args, {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}
