import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { harnessEnv, type Harness } from './harness';

const ROOT = join(__dirname, '..', '..');

/** The worker as its own OS process, as in production, so a test can kill it outright. */
export function spawnWorker(h: Harness, output: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'worker-main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      ...harnessEnv(h),
      AUTH_ISSUER: 'https://issuer.test/',
      AUTH_AUDIENCE: 'api://breakglass-test',
      AUTH_JWKS_URL: 'http://127.0.0.1:1/jwks',
      ALERT_WEBHOOK_URLS: h.sink.url,
      BREAKGLASS_WORKFLOW_BUNDLE: h.stack.workflowBundlePath,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream!.setEncoding('utf8');
    stream!.on('data', (chunk: string) => output.push(chunk));
  }
  return child;
}

export async function waitForOutput(output: string[], pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(output.join(''))) {
    if (Date.now() > deadline)
      throw new Error(`worker did not print ${pattern} within ${timeoutMs} ms; output:\n${output.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
