import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  // Named per run: several runs (people, CI, helpers) may share a checkout.
  const stamp = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
  mkdirSync(join(process.cwd(), '.tap'), { recursive: true });
  const logPath = join(process.cwd(), '.tap', `run-${stamp}.tap`);
  const serviceLog = createWriteStream(join(process.cwd(), '.tap', `services-${stamp}.log`));
  process.stdout.write('starting Temporal dev server, PostgreSQL and Key Vault for the test run…\n');
  // keyVaultFaults: tests inject Key Vault faults per secret (test/helpers/keyvault-faults.ts).
  const stack = await startLocalStack({
    dataDir: runDir,
    persistTemporal: false,
    keyVaultFaults: true,
    log: (line) => serviceLog.write(`${line}\n`),
  });
  // Interrupted runs still stop what they started.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stdout.write(`${signal}: stopping test services\n`);
      void stack.stop().finally(() => process.exit(130));
    });
  }
  let exitCode = 1;
  let summary: { exitCode: number; line: string } | null = null;
  try {
    const { code } = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} },
    });
    const bundlePath = join(runDir, 'workflow-bundle.js');
    writeFileSync(bundlePath, code);
    const stackFile = join(runDir, 'stack.json');
    writeFileSync(
      stackFile,
      JSON.stringify({ env: stack.env, workflowBundlePath: bundlePath, postgresDataDir: join(runDir, 'postgres') }),
    );
    process.stdout.write(`services up in ${((Date.now() - started) / 1000).toFixed(1)} s; running tests\n`);
    summary = await runTap(files, { ...process.env, BREAKGLASS_TEST_STACK: stackFile }, logPath);
    exitCode = summary.exitCode;
  } finally {
    await stack.stop();
    serviceLog.end();
    rmSync(runDir, { recursive: true, force: true });
  }
  process.stdout.write(`suite took ${((Date.now() - started) / 1000).toFixed(1)} s; full TAP in ${logPath}\n`);
  // The count is the last line, for people and CI alike.
  process.stdout.write(`${summary?.line ?? '0 passed, 1 failed'}\n`);
  process.exit(exitCode);
}

/**
 * Counts leaf assertions of a TAP 14 stream: a result line directly after a deeper plan
 * line ("1..N") closes a subtest and is not counted itself. YAML diagnostics are skipped.
 */
export function countAssertions(tap: string): { passed: number; failed: number; failures: string[] } {
  let passed = 0;
  let failed = 0;
  const failures: string[] = [];
  let previous = '';
  let inYaml: string | null = null;
  const names: string[] = [];
  for (const line of tap.split('\n')) {
    if (inYaml !== null) {
      if (line === `${inYaml}...`) inYaml = null;
      continue;
    }
    const yaml = /^(\s*)---$/.exec(line);
    if (yaml) {
      inYaml = yaml[1]!;
      continue;
    }
    if (!line.trim()) continue;
    const subtest = /^(\s*)# Subtest: (.*)$/.exec(line);
    if (subtest) names[subtest[1]!.length / 4] = subtest[2]!;
    const result = /^(\s*)(not )?ok \d+(?: - ([^#]*))?(?:#\s*(SKIP|TODO)\b.*)?/i.exec(line);
    if (result) {
      const depth = result[1]!.length;
      const closesSubtest = /^\s*1\.\.\d+/.test(previous) && previous.search(/\S/) > depth;
      if (!closesSubtest) {
        if (!result[2] && !result[4]) passed += 1;
        else {
          failed += 1;
          failures.push(
            [...names.slice(0, depth / 4), (result[3] ?? '').trim()].join(' > ') +
              (result[4] ? ` (${result[4].toLowerCase()})` : ''),
          );
        }
      }
    }
    if (!/^\s*#/.test(line)) previous = line;
  }
  return { passed, failed, failures };
}

function runTap(files: string[], env: NodeJS.ProcessEnv, logPath: string): Promise<{ exitCode: number; line: string }> {
  return new Promise((resolve) => {
    const log = createWriteStream(logPath);
    let output = '';
    const tap = spawn(
      process.execPath,
      [join(require.resolve('tap/package.json'), '..', 'dist', 'esm', 'run.mjs'), '-R', 'tap', ...files],
      {
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    tap.stdout.setEncoding('utf8');
    tap.stdout.on('data', (chunk: string) => {
      log.write(chunk);
      output += chunk;
      // One line per file on the terminal; the full TAP is in the log.
      for (const line of chunk.split('\n')) if (/^(not )?ok \d+/.test(line)) process.stdout.write(`${line}\n`);
    });
    tap.on('close', (code) => {
      log.end();
      const { passed, failed, failures } = countAssertions(output);
      for (const failure of failures) process.stdout.write(`FAILED: ${failure}\n`);
      resolve({
        exitCode: code === 0 && failed === 0 && passed > 0 ? 0 : 1,
        line: `${passed} passed, ${failed} failed`,
      });
    });
  });
}

if (require.main === module)
  main().catch((error: unknown) => {
    process.stderr.write(`test run failed to start: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
