import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser } from 'tap-parser';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startLocalStack } from '../devstack/stack';
import { WORKFLOWS_PATH } from '../src/worker';

/**
 * The whole suite: start Temporal, PostgreSQL and Key Vault once, bundle the workflows
 * once, run every tap file against them, stop everything, and end with `N passed, N failed`.
 * Skipped and todo tests count as failed: a skipped test proves nothing.
 */
async function main() {
  const started = Date.now();
  const files = process.argv.slice(2);
  const runDir = mkdtempSync(join(tmpdir(), 'breakglass-test-'));
  const logPath = join(process.cwd(), '.tap', 'last-run.tap');
  mkdirSync(join(process.cwd(), '.tap'), { recursive: true });
  const serviceLog = createWriteStream(join(process.cwd(), '.tap', 'services.log'));
  process.stdout.write('starting Temporal dev server, PostgreSQL and Key Vault for the test run…\n');
  const stack = await startLocalStack({ dataDir: runDir, persistTemporal: false, log: (line) => serviceLog.write(`${line}\n`) });
  let exitCode = 1;
  try {
    const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} } });
    const bundlePath = join(runDir, 'workflow-bundle.js');
    writeFileSync(bundlePath, code);
    const stackFile = join(runDir, 'stack.json');
    writeFileSync(stackFile, JSON.stringify({ env: stack.env, workflowBundlePath: bundlePath, postgresDataDir: join(runDir, 'postgres') }));
    process.stdout.write(`services up in ${((Date.now() - started) / 1000).toFixed(1)} s; running tests\n`);
    exitCode = await runTap(files, { ...process.env, BREAKGLASS_TEST_STACK: stackFile }, logPath);
  } finally {
    await stack.stop();
    serviceLog.end();
    rmSync(runDir, { recursive: true, force: true });
  }
  process.stdout.write(`suite took ${((Date.now() - started) / 1000).toFixed(1)} s; TAP log in .tap/last-run.tap\n`);
  process.exit(exitCode);
}

function runTap(files: string[], env: NodeJS.ProcessEnv, logPath: string): Promise<number> {
  return new Promise((resolve) => {
    const log = createWriteStream(logPath);
    const failures: string[] = [];
    const parser = new Parser({ flat: true });
    parser.on('assert', (result: { ok: boolean; skip?: unknown; todo?: unknown; name: string; fullname?: string; diag?: unknown }) => {
      if (!result.ok || result.skip || result.todo) failures.push(`${result.fullname || result.name}${result.skip ? ' (skipped)' : result.todo ? ' (todo)' : ''}`);
    });
    let counts = { pass: 0, fail: 0, skip: 0, todo: 0 };
    parser.on('complete', (results: { pass: number; fail: number; skip: number; todo: number }) => {
      counts = { pass: results.pass, fail: results.fail, skip: results.skip, todo: results.todo };
    });
    const tap = spawn(process.execPath, [join(require.resolve('tap/package.json'), '..', 'dist', 'esm', 'run.mjs'), '-R', 'tap', ...files], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    tap.stdout.setEncoding('utf8');
    tap.stdout.on('data', (chunk: string) => {
      log.write(chunk);
      parser.write(chunk);
      // Top-level lines (one per file) and failures are enough on a terminal; the full TAP is in the log.
      for (const line of chunk.split('\n')) if (/^(not )?ok \d+/.test(line) || /^\s+not ok /.test(line)) process.stdout.write(`${line}\n`);
    });
    tap.on('close', (code) => {
      parser.end();
      log.end();
      for (const failure of failures) process.stdout.write(`FAILED: ${failure}\n`);
      const passed = counts.pass - counts.skip - counts.todo;
      const failed = counts.fail + counts.skip + counts.todo;
      process.stdout.write(`${passed} passed, ${failed} failed\n`);
      resolve(code === 0 && failed === 0 ? 0 : 1);
    });
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`test run failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
