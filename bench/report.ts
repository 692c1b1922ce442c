import type { ApiFigures } from './api';
import { STEPS, type StepSummaries } from './lifecycle';
import type { machineInfo } from './machine';
import type { RevealFigures } from './reveal';
import { ratio, table } from './stats';

export interface LifecycleRun {
  flows: number;
  concurrency: number;
  ours: StepSummaries;
  floor: StepSummaries;
  /** Whole-flow p50, ours over floor. */
  ratioToFloor: number;
}

export interface ScaleFigures {
  open: number;
  accountsSeconds: number;
  createSeconds: number;
  workerRssMb: number;
  apiRssMb: number;
  sequentialWholeP50Ms: number;
  concurrentWholeP50Ms: number;
  /** Whole-flow p50 with the requests open over without them. */
  sequentialChange: number;
  concurrentChange: number;
  /** Ours over the floor with them open (the floor run in alternating rounds again, on the same server). */
  sequentialRatioToFloor: number;
  concurrentRatioToFloor: number;
  /**
   * That ratio over the ratio without them: how much slower our service got with them open, with
   * the load of the machine (which falls on the floor alike) taken out.
   */
  sequentialRatioChange: number;
  concurrentRatioChange: number;
}

export interface BenchResults {
  machine: ReturnType<typeof machineInfo> & { loadAverageAfter: number[] };
  temporal: { dynamicConfig: Record<string, number> };
  options: Record<string, unknown>;
  lifecycle: { ratioToFloor: number; sequential: LifecycleRun; concurrent: LifecycleRun };
  api: ApiFigures & { rssIdleMb: number; rssAfterMb: number };
  reveal: RevealFigures;
  scale: ScaleFigures & { workerRssIdleMb: number; workerRssAfterLifecycleMb: number };
  /** Timed flows that failed (deadlines on an overloaded machine); they are left out of the figures. */
  failedFlows: number;
  seconds: number;
}

/** What `--only api` writes: the machine and the API section. */
export type ApiOnlyResults = Pick<BenchResults, 'machine' | 'options' | 'api' | 'seconds'>;

export function lifecycleRun(
  flows: number,
  concurrency: number,
  ours: StepSummaries,
  floor: StepSummaries,
): LifecycleRun {
  return { flows, concurrency, ours, floor, ratioToFloor: ratio(ours.whole.p50, floor.whole.p50) };
}

const machineLine = (machine: BenchResults['machine']) =>
  `machine: ${machine.cpuCount} × ${machine.cpuModel}, ${machine.memoryGb} GB, Node ${machine.node}, load ${machine.loadAverage.join(' ')} (after: ${machine.loadAverageAfter.join(' ')})`;

const apiRows = (api: BenchResults['api']): Array<Array<string | number>> => [
  [
    `GET ${api.path} req/s (${api.connections} conn, ${api.seconds} s, ${api.bodyBytes} B)`,
    api.reqPerSec,
    api.bareReqPerSec,
    api.ratioToBare,
  ],
  ['GET latency p50 (ms)', api.latencyP50Ms, api.bareLatencyP50Ms, ratio(api.latencyP50Ms, api.bareLatencyP50Ms)],
  [
    'GET server CPU per request (ms)',
    api.cpuMsPerRequest,
    api.bareCpuMsPerRequest,
    ratio(api.cpuMsPerRequest, api.bareCpuMsPerRequest),
  ],
  ['GET PostgreSQL CPU per request (ms)', api.postgresCpuMsPerRequest, 0, '-'],
];

export function formatApiOnlyReport(results: ApiOnlyResults): string {
  return [
    machineLine(results.machine),
    '',
    table([['figure', 'ours', 'bare', 'ratio'], ...apiRows(results.api)]),
    '',
    `API RSS idle / after load (MB): ${results.api.rssIdleMb} / ${results.api.rssAfterMb}; errors: ${results.api.errors}`,
    `took ${results.seconds} s`,
  ].join('\n');
}

function lifecycleTable(title: string, run: LifecycleRun): string {
  const rows: Array<Array<string | number>> = [
    [
      `${title} (${run.flows} flows, ${run.concurrency} at once), ms`,
      'p50',
      'p95',
      'p99',
      'floor p50',
      'floor p95',
      'floor p99',
      'x floor p50',
    ],
  ];
  for (const step of [...STEPS, 'whole'] as const) {
    const ours = run.ours[step];
    const floor = run.floor[step];
    rows.push([step, ours.p50, ours.p95, ours.p99, floor.p50, floor.p95, floor.p99, ratio(ours.p50, floor.p50)]);
  }
  return table(rows);
}

export function formatReport(results: BenchResults): string {
  const { machine, lifecycle, api, reveal, scale } = results;
  const lines = [
    machineLine(machine),
    `temporal dev server dynamic config: ${
      Object.entries(results.temporal.dynamicConfig)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || 'none (stock limits)'
    }`,
    '',
    lifecycleTable('lifecycle sequential', lifecycle.sequential),
    '',
    lifecycleTable('lifecycle concurrent', lifecycle.concurrent),
    '',
    table([
      ['figure', 'ours', 'floor', 'ratio'],
      [
        'lifecycle whole p50, sequential (ms)',
        lifecycle.sequential.ours.whole.p50,
        lifecycle.sequential.floor.whole.p50,
        lifecycle.ratioToFloor,
      ],
      [
        'lifecycle whole p50, concurrent (ms)',
        lifecycle.concurrent.ours.whole.p50,
        lifecycle.concurrent.floor.whole.p50,
        lifecycle.concurrent.ratioToFloor,
      ],
      ...apiRows(api),
      [
        `reveal p50 vs bare getSecret (${reveal.reveal.n}) (ms)`,
        reveal.reveal.p50,
        reveal.bareGetSecret.p50,
        reveal.ratioToBare,
      ],
    ]),
    '',
    table([
      [`scale: ${scale.open} requests open in awaiting_review`, 'value'],
      ['seconds to register their accounts', scale.accountsSeconds],
      ['seconds to bring them to awaiting_review', scale.createSeconds],
      [
        'worker RSS idle / after lifecycle / with them open (MB)',
        `${scale.workerRssIdleMb} / ${scale.workerRssAfterLifecycleMb} / ${scale.workerRssMb}`,
      ],
      ['API RSS idle / after load (MB)', `${api.rssIdleMb} / ${api.rssAfterMb}`],
      [
        'lifecycle whole p50 sequential with them open (ms, × without)',
        `${scale.sequentialWholeP50Ms} (${scale.sequentialChange})`,
      ],
      [
        'lifecycle whole p50 concurrent with them open (ms, × without)',
        `${scale.concurrentWholeP50Ms} (${scale.concurrentChange})`,
      ],
      [
        'x floor sequential with them open (× without)',
        `${scale.sequentialRatioToFloor} (${scale.sequentialRatioChange})`,
      ],
      [
        'x floor concurrent with them open (× without)',
        `${scale.concurrentRatioToFloor} (${scale.concurrentRatioChange})`,
      ],
    ]),
    '',
    `took ${results.seconds} s${results.failedFlows ? `; ${results.failedFlows} flows failed and are left out` : ''}`,
  ];
  return lines.join('\n');
}
