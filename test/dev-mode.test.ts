import t, { type Test } from 'tap';
import { createServer, type Server } from 'node:net';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../devstack/processes';
import {
  DevRun,
  describe,
  killLeftovers,
  ownedDirs,
  parseReady,
  processTree,
  processesUsing,
  refusesConnections,
  stillAlive,
  type Endpoints,
  type Proc,
} from './helpers/dev-mode';

/**
 * Dev all-in-one mode (issue 2): `npm run dev` provisions PostgreSQL, Temporal and Key Vault
 * under BREAKGLASS_DATA_DIR, runs the worker and the API, says where everything is, and on
 * Ctrl-C or SIGTERM stops everything it started, with nothing left running. A second start
 * reuses the data dir; a start after a crash stops what the crashed run left; a taken API port
 * is a clear error before anything starts.
 *
 * The test starts its own dev mode in a fresh temp data dir with a free PORT, with no
 * DATABASE_URL/TEMPORAL_ADDRESS/KEYVAULT_URL/AUTH_* in its environment (the shared test stack
 * of scripts/test.ts is not used).
 */

const COLD_READY_MS = 240_000;
const WARM_READY_MS = 120_000;
const STOP_MS = 30_000;

const dataDir = mkdtempSync(join(tmpdir(), 'breakglass-devmode-'));
/** Every process tree seen, so a failing test still cleans up exactly what it started. */
const seen: Proc[] = [];
const runs: DevRun[] = [];

t.teardown(() => {
  for (const run of runs) {
    if (!run.running) continue;
    try {
      process.kill(-run.pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
  const dirs = ownedDirs(dataDir);
  const killed = killLeftovers(seen, dirs);
  if (killed.length) process.stderr.write(`dev-mode test: killed leftovers:\n${describe(killed)}\n`);
  rmSync(dataDir, { recursive: true, force: true });
  // As root the cluster lives outside the data dir, behind a symlink (devstack/postgres.ts); it is this test's own.
  for (const dir of dirs)
    if (/^\/var\/tmp\/breakglass-pg-[0-9a-f]+\/data$/.test(dir))
      rmSync(join(dir, '..'), { recursive: true, force: true });
});

function start(port: number, via: 'node' | 'npm' = 'node'): DevRun {
  const run = new DevRun(dataDir, port, { via });
  runs.push(run);
  return run;
}

async function waitReady(t: Test, run: DevRun, timeoutMs: number): Promise<Endpoints> {
  const output = await run.waitForOutput(/breakglass dev ready[\s\S]*Ctrl-C stops everything/, timeoutMs);
  const endpoints = parseReady(output);
  const response = await fetch(`${endpoints.apiUrl}/readyz`, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json()) as { dependencies?: Array<{ name: string; ok: boolean }> };
  t.equal(response.status, 200, `/readyz answers 200 (${JSON.stringify(body)})`);
  for (const name of ['postgres', 'temporal', 'keyvault']) {
    t.ok(body.dependencies?.find((dependency) => dependency.name === name)?.ok, `/readyz: ${name} ok`);
  }
  seen.push(...processTree(run.pid));
  return endpoints;
}

/** The process tree under dev mode names all four long-running parts. */
function checkTree(t: Test, run: DevRun): Proc[] {
  const tree = processTree(run.pid);
  const has = (pattern: RegExp) => tree.some((proc) => pattern.test(proc.argv.join(' ')));
  t.ok(has(/temporal server start-dev .*--db-filename /), 'Temporal dev server runs, on a SQLite file');
  t.ok(has(/\/postgres -D /), 'PostgreSQL runs');
  t.ok(has(/src\/worker-main\.ts/), 'the worker runs');
  t.ok(has(/src\/server\.ts/), 'the API runs');
  seen.push(...tree);
  return tree;
}

async function assertNothingLeft(t: Test, tree: Proc[], endpoints?: Endpoints): Promise<void> {
  // Children reparented to init are reaped shortly after they exit; give that a moment.
  const deadline = Date.now() + 5_000;
  while ((stillAlive(tree).length || processesUsing(ownedDirs(dataDir)).length) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const alive = stillAlive(tree);
  t.same(
    alive.map((proc) => proc.pid),
    [],
    `no process of the run is still alive${alive.length ? `:\n${describe(alive)}` : ''}`,
  );
  const using = processesUsing(ownedDirs(dataDir));
  t.same(
    using.map((proc) => proc.pid),
    [],
    `no process uses the data dir${using.length ? `:\n${describe(using)}` : ''}`,
  );
  for (const { what, host, port } of endpoints?.ports ?? []) {
    t.ok(await refusesConnections(host, port), `${what} port ${port} refuses connections`);
  }
  t.notOk(existsSync(join(dataDir, 'dev-run.json')), 'the run file is removed');
}

async function stopWith(t: Test, run: DevRun, how: 'ctrl-c' | 'SIGTERM'): Promise<number> {
  if (how === 'ctrl-c') run.interruptGroup();
  else run.signal('SIGTERM');
  const exit = await run.waitForExit(STOP_MS);
  t.ok(exit, `dev mode exits within ${STOP_MS / 1000} s of ${how}`);
  if (!exit) {
    t.comment(run.output);
    return NaN;
  }
  t.equal(exit.code, 0, `exit code 0 after ${how}`);
  if (exit.code !== 0) t.comment(run.output);
  t.match(run.stdout, /stopped in [\d.]+ s/, 'it says it stopped');
  t.comment(`${how}: exited ${(exit.ms / 1000).toFixed(1)} s after the signal`);
  return exit.ms;
}

void t.test('cold start in a fresh data dir: ready, then Ctrl-C stops everything', async (t) => {
  const port = await freePort();
  const run = start(port);
  const endpoints = await waitReady(t, run, COLD_READY_MS);
  t.comment(/breakglass dev ready in ([\d.]+ s)/.exec(run.stdout)?.[0] ?? '');
  t.match(run.stdout, /migrations applied: /, 'migrations applied on a fresh cluster');
  t.equal(endpoints.apiUrl, `http://127.0.0.1:${port}`, 'the ready line gives the API URL on PORT');
  t.match(endpoints.temporalAddress, /^127\.0\.0\.1:\d+$/, 'the Temporal address');
  t.ok(endpoints.temporalUiUrl, 'the Temporal UI URL');
  if (endpoints.temporalUiUrl) {
    const ui = await fetch(endpoints.temporalUiUrl, { signal: AbortSignal.timeout(10_000) });
    t.equal(ui.status, 200, 'the Temporal UI answers');
  }
  t.match(endpoints.keyVaultUrl, /^https:\/\/(127\.0\.0\.1|localhost):\d+/, 'the Key Vault URL');
  t.match(run.stdout, /npm run token -- <principal> \[--role BreakGlass\.Admin\]/, 'how to get a dev token');
  t.match(run.stdout, /worker on task queue breakglass/, 'ready includes the worker polling its task queue');
  t.ok(run.stdout.split('\n').length < 20, `the output is short (${run.stdout.split('\n').length} lines)`);
  t.ok(existsSync(join(dataDir, 'temporal', 'temporal.sqlite')), 'Temporal keeps its SQLite file in the data dir');
  t.ok(existsSync(join(dataDir, 'postgres', 'PG_VERSION')), 'the PostgreSQL cluster is in the data dir');
  const tree = checkTree(t, run);
  await stopWith(t, run, 'ctrl-c');
  await assertNothingLeft(t, tree, endpoints);
});

void t.test('warm start reuses the data dir, and SIGTERM stops everything', async (t) => {
  const sqlite = statSync(join(dataDir, 'temporal', 'temporal.sqlite'));
  const cluster = statSync(join(dataDir, 'postgres', 'PG_VERSION'));
  const run = start(await freePort());
  const endpoints = await waitReady(t, run, WARM_READY_MS);
  t.comment(/breakglass dev ready in ([\d.]+ s)/.exec(run.stdout)?.[0] ?? '');
  t.match(run.stdout, /migrations: up to date/, 'the migrations are already applied: the cluster was reused');
  t.equal(statSync(join(dataDir, 'temporal', 'temporal.sqlite')).ino, sqlite.ino, 'the same Temporal SQLite file');
  t.equal(
    statSync(join(dataDir, 'postgres', 'PG_VERSION')).mtimeMs,
    cluster.mtimeMs,
    'the same PostgreSQL cluster (not initialised again)',
  );
  const tree = checkTree(t, run);
  await stopWith(t, run, 'SIGTERM');
  await assertNothingLeft(t, tree, endpoints);
});

void t.test('after a crash (SIGKILL), the next start stops what was left and comes up', async (t) => {
  const crashed = start(await freePort());
  const first = await waitReady(t, crashed, WARM_READY_MS);
  const crashedTree = checkTree(t, crashed);
  crashed.signal('SIGKILL');
  await crashed.exited;
  const orphans = stillAlive(crashedTree.filter((proc) => proc.pid !== crashed.pid));
  t.ok(orphans.length >= 4, `the crash left its services running (${orphans.length} processes), as a crash does`);

  // The same API port: the crashed run's API still holds it until the next start stops it.
  const port = Number(new URL(first.apiUrl).port);
  const run = start(port);
  const endpoints = await waitReady(t, run, WARM_READY_MS);
  t.match(run.stdout, /stopping what an earlier run left running: /, 'it says it stopped the leftovers');
  const gone = stillAlive(orphans);
  t.same(
    gone.map((proc) => proc.pid),
    [],
    `the crashed run's processes are gone${gone.length ? `:\n${describe(gone)}` : ''}`,
  );
  const tree = checkTree(t, run);
  await stopWith(t, run, 'ctrl-c');
  await assertNothingLeft(t, [...tree, ...crashedTree], endpoints);
});

void t.test('a stale postmaster.pid naming a live, unrelated process does not stop the start', async (t) => {
  // After a machine crash the pid in postmaster.pid may belong to another program; here, this test.
  writeFileSync(
    join(dataDir, 'postgres', 'postmaster.pid'),
    `${process.pid}\n${dataDir}\n0\n1\n/tmp\n127.0.0.1\n0 0\nready\n`,
  );
  const run = start(await freePort());
  const endpoints = await waitReady(t, run, WARM_READY_MS);
  const tree = checkTree(t, run);
  await stopWith(t, run, 'SIGTERM');
  await assertNothingLeft(t, tree, endpoints);
});

void t.test('npm run dev: a SIGTERM to npm alone still stops everything', async (t) => {
  // npm dies of it without passing it on; dev mode notices its launcher is gone.
  const run = start(await freePort(), 'npm');
  const endpoints = await waitReady(t, run, WARM_READY_MS);
  const tree = processTree(run.pid);
  seen.push(...tree);
  t.ok(
    tree.some((proc) => proc.argv.some((arg) => arg.endsWith('scripts/dev.ts'))),
    'dev mode runs under npm',
  );
  run.signal('SIGTERM');
  await run.waitForExit(STOP_MS);
  const deadline = Date.now() + STOP_MS;
  while (stillAlive(tree).length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  t.match(run.stdout, /the command that started dev mode has gone away/, 'it says why it stops');
  await assertNothingLeft(t, tree, endpoints);
});

void t.test('Ctrl-C while the stack is still starting leaves nothing running', async (t) => {
  const run = start(await freePort());
  await run.waitForOutput(/breakglass dev: data in /, WARM_READY_MS);
  await new Promise((resolve) => setTimeout(resolve, 1_500)); // services are being started
  seen.push(...processTree(run.pid));
  run.interruptGroup();
  const exit = await run.waitForExit(STOP_MS);
  t.ok(exit, `dev mode exits within ${STOP_MS / 1000} s`);
  t.equal(exit?.code, 0, 'exit code 0');
  if (exit?.code !== 0) t.comment(run.output);
  t.notMatch(run.stdout, /breakglass dev ready/, 'it did not go on to become ready');
  // A service killed by the same Ctrl-C can fail the start first; that is the stop, not a failure to report.
  t.notMatch(run.stderr, /^breakglass dev: /m, 'no failure is reported for a Ctrl-C');
  await assertNothingLeft(t, seen);
});

void t.test('a taken API port is a clear error, and nothing is left running', async (t) => {
  const port = await freePort();
  const holder: Server = createServer();
  await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
  try {
    const run = start(port);
    const exit = await run.waitForExit(STOP_MS);
    seen.push(...processTree(run.pid));
    t.ok(exit, 'dev mode gives up promptly');
    t.not(exit?.code, 0, `a non-zero exit code (${exit?.code})`);
    t.match(
      run.stderr,
      new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`),
      'the message names the port and says it is in use',
    );
    t.match(run.stderr, /set PORT/, 'and what to do about it');
    t.notMatch(run.stdout, /breakglass dev ready/, 'it never says ready');
    await assertNothingLeft(t, seen);
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }
});
