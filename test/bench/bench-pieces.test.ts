import t from 'tap';
import { parseOptions } from '../../bench/options';
import { formatApiOnlyReport, formatReport, lifecycleRun, type BenchResults } from '../../bench/report';
import { percentile, summarize } from '../../bench/stats';
import { STEPS } from '../../bench/lifecycle';

/** The bench's own arithmetic and flags; the measuring itself runs in `npm run bench`. */

void t.test('sizes come from flags, then BENCH_* variables, then the defaults', async (t) => {
  const defaults = parseOptions([], {});
  t.match(defaults, { flows: 100, concurrency: 20, open: 300, temporalDefaults: false, output: 'bench-results.json' });
  t.match(parseOptions(['--full'], {}), { flows: 200, open: 1000 }, '--full: the sizes the targets are stated for');
  t.match(parseOptions(['--quick'], {}), { flows: 10, concurrency: 5 });
  t.match(
    parseOptions(['--flows', '7', '--open=0'], { BENCH_FLOWS: '50' }),
    { flows: 7, open: 0, concurrency: 7 },
    'a flag beats the environment; concurrency never exceeds flows',
  );
  t.match(parseOptions([], { BENCH_API_SECONDS: '3', BENCH_TEMPORAL_DEFAULTS: '1' }), {
    apiSeconds: 3,
    temporalDefaults: true,
  });
  t.throws(() => parseOptions(['--flows', '0'], {}), /--flows wants a whole number above 0/);
  t.throws(() => parseOptions(['--flow', '5'], {}), /unknown flag --flow/);
  t.equal(parseOptions([], {}).only, undefined, 'every section by default');
  t.equal(parseOptions(['--only', 'api'], {}).only, 'api');
  t.equal(parseOptions([], { BENCH_ONLY: 'api' }).only, 'api');
  t.throws(() => parseOptions(['--only', 'scale'], {}), /--only wants one of api, got scale/);
});

void t.test('percentiles are nearest-rank over the samples', async (t) => {
  const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted on purpose
  t.same(summarize(samples), { n: 100, p50: 50, p95: 95, p99: 99 });
  t.equal(percentile([3], 99), 3);
  t.ok(Number.isNaN(percentile([], 50)), 'no samples, no figure');
});

// `satisfies BenchResults` holds the JSON to the keys the issue names (lifecycle.ratioToFloor, api.ratioToBare, scale.workerRssMb).
void t.test('the report has every step and the figures against their floors', async (t) => {
  const steps = (ms: number) =>
    Object.fromEntries([...STEPS, 'whole'].map((step) => [step, summarize([ms, ms * 2])])) as ReturnType<
      typeof lifecycleRun
    >['ours'];
  const run = lifecycleRun(10, 1, steps(30), steps(20));
  t.equal(run.ratioToFloor, 1.5);
  const results = {
    machine: {
      cpuCount: 2,
      cpuModel: 'cpu',
      memoryGb: 4,
      node: 'v20',
      platform: 'linux-x64',
      loadAverage: [1, 1, 1],
      loadAverageAfter: [1, 1, 1],
    },
    temporal: { dynamicConfig: { 'history.transferProcessorMaxPollRPS': 1000 } },
    options: {},
    lifecycle: { ratioToFloor: run.ratioToFloor, sequential: run, concurrent: run },
    api: {
      path: '/v1/requests/:id',
      bodyBytes: 1500,
      connections: 50,
      seconds: 1,
      reqPerSec: 600,
      bareReqPerSec: 1000,
      ratioToBare: 0.6,
      latencyP50Ms: 2,
      bareLatencyP50Ms: 1,
      cpuMsPerRequest: 0.4,
      bareCpuMsPerRequest: 0.2,
      postgresCpuMsPerRequest: 0.1,
      errors: 0,
      rssIdleMb: 100,
      rssAfterMb: 120,
    },
    reveal: { reveal: summarize([5]), bareGetSecret: summarize([1]), ratioToBare: 5 },
    scale: {
      open: 3,
      accountsSeconds: 1,
      createSeconds: 2,
      workerRssIdleMb: 150,
      workerRssAfterLifecycleMb: 160,
      workerRssMb: 170,
      apiRssMb: 120,
      sequentialWholeP50Ms: 30,
      concurrentWholeP50Ms: 30,
      sequentialChange: 1,
      concurrentChange: 1,
      sequentialRatioToFloor: 1.1,
      concurrentRatioToFloor: 1.2,
      sequentialRatioChange: 1.05,
      concurrentRatioChange: 0.97,
    },
    failedFlows: 0,
    seconds: 1,
  } satisfies BenchResults;
  const text = formatReport(results);
  for (const step of [...STEPS, 'whole'])
    t.match(text, new RegExp(`^${step} `, 'm'), `the table has a row for ${step}`);
  t.match(text, /history\.transferProcessorMaxPollRPS=1000/, 'the report names the raised Temporal limit');
  t.match(text, /req\/s .* 600 +1000 +0\.6/);
  t.match(
    text,
    /x floor concurrent with them open \(× without\) +1\.2 \(0\.97\)/,
    'the scale rows have the paired ratio',
  );
  const apiOnly = formatApiOnlyReport({ machine: results.machine, options: {}, api: results.api, seconds: 1 });
  t.match(apiOnly, /req\/s .* 600 +1000 +0\.6/, '--only api prints the same API row');
  t.notMatch(apiOnly, /lifecycle/, 'and nothing of the other sections');
});
