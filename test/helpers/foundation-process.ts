import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
const TSX_CLI = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/**
 * Runs `node node_modules/tsx/dist/cli.mjs <script>` from the project root with exactly the
 * given environment (plus PATH/HOME so node can start), as an operator or orchestrator would.
 * Nothing of the test process leaks in: no NODE_OPTIONS loaders from tap, no stack variables.
 * A process still running after `timeoutMs` is killed and reported with `timedOut`.
 */
export function runScript(
  script: string,
  env: Record<string, string | undefined>,
  timeoutMs = 60_000,
): Promise<ProcessResult> {
  const started = Date.now();
  const clean: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR };
  for (const [key, value] of Object.entries(env)) if (value !== undefined) clean[key] = value;
  const child = spawn(process.execPath, [TSX_CLI, script], {
    cwd: ROOT,
    env: clean,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, timedOut });
    });
  });
}

/** Non-empty lines of a process's output. */
export const lines = (text: string): string[] => text.split('\n').filter((line) => line.trim() !== '');
