import { spawn } from 'node:child_process';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../worker';

/**
 * Bundles the workflows (webpack) in a short-lived child process and returns the code.
 * Bundling in the worker itself left about 100 MB of the bundler's heap resident for the
 * worker's whole life; a child process gives all of it back when it exits.
 */
export function bundleWorkflowsInChildProcess(): Promise<string> {
  // The same Node and loader flags (tsx) as this process; the code comes back over IPC.
  const child = spawn(process.execPath, [...process.execArgv, __filename], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let code: string | undefined;
    child.once('message', (message) => (code = String(message)));
    child.once('error', reject);
    child.once('exit', (exitCode, signal) =>
      exitCode === 0 && code
        ? resolve(code)
        : reject(new Error(`bundling the workflows failed (${signal ?? `exit ${exitCode}`})`)),
    );
  });
}

async function bundleAndSend(): Promise<void> {
  const quiet = { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} };
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet });
  await new Promise<void>((resolve, reject) =>
    process.send!(code, (error: Error | null) => (error ? reject(error) : resolve())),
  );
  process.disconnect();
}

if (require.main === module) {
  bundleAndSend().catch((error: unknown) => {
    process.stderr.write(`breakglass worker: bundling the workflows failed: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
