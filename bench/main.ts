import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Runtime, DefaultLogger, makeTelemetryFilterString } from '@temporalio/worker';
import { startLocalStack } from '../devstack/stack';
import { TEMPORAL_DYNAMIC_CONFIG } from '../devstack/temporal';
import { benchApi } from './api';
import { floorFlow, ourFlow, runFlows, runPaired, summarizeSteps } from './lifecycle';
import { machineInfo, rssMb } from './machine';
import { parseOptions, type BenchOptions } from './options';
import { formatApiOnlyReport, formatReport, lifecycleRun, type ApiOnlyResults, type BenchResults } from './report';
import { benchReveal } from './reveal';
import { openRequests } from './scale';
import { ratio } from './stats';
import { buildWorld, type World } from './world';

/**
 * `npm run bench`: starts its own Temporal dev server, PostgreSQL and Key Vault (as the tests
 * do), our worker and API as separate processes, and measures each figure against its floor
 * on the same services in the same run. Prints a table; writes bench-results.json.
 */
async function main() {
  const options = parseOptions(process.argv.slice(2));
  const started = performance.now();
  const machine = machineInfo();
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const runDir = mkdtempSync(join(tmpdir(), 'breakglass-bench-'));
  const serviceLog = createWriteStream(join(runDir, 'services.log'));
  const log = (line: string) => {
    // Per-request info lines of the API under load would cost this process more than they tell.
    if (!line.includes('"level":30')) serviceLog.write(`${line}\n`);
  };
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
  });
  const dynamicConfig = options.temporalDefaults ? {} : { ...TEMPORAL_DYNAMIC_CONFIG };
  say(`bench: ${JSON.stringify(options)}`);
  say('starting Temporal dev server, PostgreSQL, Key Vault, the worker and the API…');
  const stack = await startLocalStack({
    dataDir: runDir,
    persistTemporal: false,
    log,
    temporalDynamicConfig: dynamicConfig,
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`${signal}: stopping the bench's services`);
      void stack.stop().finally(() => process.exit(130));
    });
  }
  let world: Awaited<ReturnType<typeof buildWorld>> | undefined;
  try {
    world = await buildWorld(stack, runDir, log, { cpuProfDir: options.cpuProfDir && resolve(options.cpuProfDir) });
    const w = world;
    const workerRssIdleMb = rssMb(w.worker.child.pid);
    const apiRssIdleMb = rssMb(w.api.child.pid);
    if (options.only === 'api') {
      await apiOnly(w, options, { machine, apiRssIdleMb, runDir, started }, log, say);
      return;
    }
    const [flowAccounts, [revealAccount]] = await Promise.all([
      w.createAccounts(options.concurrency),
      w.createAccounts(1),
    ]);
    const ourFlowFn = ourFlow(w, flowAccounts);
    const floorFlowFn = floorFlow(w);
    let failedFlows = 0;
    const pairedRun = async (count: number, concurrency: number) => {
      const { ours, floor } = await runPaired(ourFlowFn, floorFlowFn, count, concurrency);
      failedFlows += ours.failed + floor.failed;
      return lifecycleRun(count, concurrency, summarizeSteps(ours), summarizeSteps(floor));
    };

    say(`services up in ${seconds(started)} s; warming up`);
    await runFlows(ourFlowFn, Math.min(options.concurrency, 5), Math.min(options.concurrency, 5));
    await runFlows(floorFlowFn, Math.min(options.concurrency, 5), Math.min(options.concurrency, 5));

    say(`lifecycle: ${options.flows} flows one at a time, ours and the floor in alternating rounds`);
    const sequential = await pairedRun(options.flows, 1);
    say(`lifecycle: ${options.flows} flows ${options.concurrency} at once, ours and the floor in alternating rounds`);
    const concurrent = await pairedRun(options.flows, options.concurrency);
    const workerRssAfterLifecycleMb = rssMb(w.worker.child.pid);

    say(`api: GET /v1/requests/:id for ${options.apiSeconds} s each, ours then bare Fastify`);
    const api = await benchApi(
      w,
      await completedRequestId(w),
      {
        connections: options.apiConnections,
        seconds: options.apiSeconds,
        postgresPid: postmasterPid(runDir),
        cpuProfDir: options.cpuProfDir && resolve(options.cpuProfDir),
      },
      log,
    );
    const apiRssAfterMb = rssMb(w.api.child.pid);

    say(`reveal: ${options.reveals} reveals against as many bare getSecret calls`);
    const reveal = await benchReveal(w, revealAccount!, options.reveals);

    say(`scale: registering ${options.open} accounts, then bringing a request on each to awaiting_review`);
    const accountsStarted = performance.now();
    const scaleAccounts = await w.createAccounts(options.open, 20);
    const accountsSeconds = seconds(accountsStarted);
    const { seconds: createSeconds, failed: openFailed } = await openRequests(w, scaleAccounts, options.concurrency);
    failedFlows += openFailed;
    const workerRssMb = rssMb(w.worker.child.pid);
    const apiRssMb = rssMb(w.api.child.pid);
    say(`scale: ${options.open} open; lifecycle again, ours and the floor in alternating rounds`);
    const sequentialOpen = await pairedRun(options.flows, 1);
    const concurrentOpen = await pairedRun(options.flows, options.concurrency);

    const results: BenchResults = {
      machine: { ...machine, loadAverageAfter: machineInfo().loadAverage },
      temporal: { dynamicConfig },
      options: { ...options },
      lifecycle: { ratioToFloor: sequential.ratioToFloor, sequential, concurrent },
      api: { ...api, rssIdleMb: apiRssIdleMb, rssAfterMb: Math.max(apiRssAfterMb, apiRssMb) },
      reveal,
      scale: {
        open: options.open,
        accountsSeconds,
        createSeconds,
        workerRssIdleMb,
        workerRssAfterLifecycleMb,
        workerRssMb,
        apiRssMb,
        sequentialWholeP50Ms: sequentialOpen.ours.whole.p50,
        concurrentWholeP50Ms: concurrentOpen.ours.whole.p50,
        sequentialChange: ratio(sequentialOpen.ours.whole.p50, sequential.ours.whole.p50),
        concurrentChange: ratio(concurrentOpen.ours.whole.p50, concurrent.ours.whole.p50),
        sequentialRatioToFloor: sequentialOpen.ratioToFloor,
        concurrentRatioToFloor: concurrentOpen.ratioToFloor,
        sequentialRatioChange: ratio(sequentialOpen.ratioToFloor, sequential.ratioToFloor),
        concurrentRatioChange: ratio(concurrentOpen.ratioToFloor, concurrent.ratioToFloor),
      },
      failedFlows,
      seconds: seconds(started),
    };
    const output = resolve(options.output);
    writeFileSync(output, `${JSON.stringify(results, null, 2)}\n`);
    say('');
    say(formatReport(results));
    say(`figures written to ${output}`);
  } catch (error) {
    // Said before the services stop: stopping them can raise errors of its own.
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  } finally {
    await world?.close();
    await stack.stop();
    serviceLog.end();
    rmSync(runDir, { recursive: true, force: true });
  }
}

/** `--only api`: one flow for a completed request to read, then the API section alone; its figures only in the JSON. */
async function apiOnly(
  w: World,
  options: BenchOptions,
  run: { machine: ReturnType<typeof machineInfo>; apiRssIdleMb: number; runDir: string; started: number },
  log: (line: string) => void,
  say: (line: string) => void,
) {
  const { machine, apiRssIdleMb, runDir, started } = run;
  say(`services up in ${seconds(started)} s; one flow for a completed request`);
  const flow = await runFlows(ourFlow(w, await w.createAccounts(1)), 1, 1);
  if (flow.failed) throw new Error('the flow that makes the request to read failed');
  say(`api: GET /v1/requests/:id for ${options.apiSeconds} s each, ours then bare Fastify`);
  const api = await benchApi(
    w,
    await completedRequestId(w),
    {
      connections: options.apiConnections,
      seconds: options.apiSeconds,
      postgresPid: postmasterPid(runDir),
      cpuProfDir: options.cpuProfDir && resolve(options.cpuProfDir),
    },
    log,
  );
  const results: ApiOnlyResults = {
    machine: { ...machine, loadAverageAfter: machineInfo().loadAverage },
    options: { ...options },
    api: { ...api, rssIdleMb: apiRssIdleMb, rssAfterMb: rssMb(w.api.child.pid) },
    seconds: seconds(started),
  };
  const output = resolve(options.output);
  writeFileSync(output, `${JSON.stringify(results, null, 2)}\n`);
  say('');
  say(formatApiOnlyReport(results));
  say(`figures written to ${output}`);
}

async function completedRequestId(w: World): Promise<string> {
  const { rows } = await w.pool.query<{ id: string }>("SELECT id FROM requests WHERE status = 'completed' LIMIT 1");
  if (!rows[0]) throw new Error('no completed request to read');
  return rows[0].id;
}

/** The bench's own PostgreSQL (its first line of postmaster.pid), for its CPU per API request. */
function postmasterPid(runDir: string): number | undefined {
  try {
    return Number(readFileSync(join(runDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
  } catch {
    return undefined;
  }
}

const seconds = (since: number) => Math.round((performance.now() - since) / 100) / 10;

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
