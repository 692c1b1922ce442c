/**
 * Sizes of a bench run, from flags (`npm run bench -- --flows 50`) or BENCH_* environment
 * variables. The defaults take about ten minutes on two busy cores; `--full` takes the sizes
 * the performance targets are stated for (200 flows, 1,000 open requests; 5–7 minutes
 * there); `--quick` is a smoke run of about a minute; `--only api` runs the API section alone.
 */
export interface BenchOptions {
  /** Flows per lifecycle run, for ours and for the floor, sequential and concurrent alike. */
  flows: number;
  concurrency: number;
  /** Requests held open in awaiting_review for the scale section; 0 skips it. */
  open: number;
  apiSeconds: number;
  apiConnections: number;
  reveals: number;
  /** Run Temporal with its stock transfer-queue limit, to see what raising it buys. */
  temporalDefaults: boolean;
  output: string;
  /** Where the API process writes a V8 CPU profile (node --cpu-prof), if anywhere. */
  cpuProfDir?: string;
  /** Run one section alone (`--only api`: the GET throughput against bare Fastify, about a minute). */
  only?: Section;
}

export const SECTIONS = ['api'] as const;
export type Section = (typeof SECTIONS)[number];

const DEFAULTS: BenchOptions = {
  flows: 100,
  concurrency: 20,
  open: 300,
  apiSeconds: 10,
  apiConnections: 50,
  reveals: 100,
  temporalDefaults: false,
  output: 'bench-results.json',
};
const QUICK: Partial<BenchOptions> = { flows: 10, concurrency: 5, open: 20, apiSeconds: 2, reveals: 10 };
const FULL: Partial<BenchOptions> = { flows: 200, open: 1000, reveals: 200 };

const NUMERIC = ['flows', 'concurrency', 'open', 'apiSeconds', 'apiConnections', 'reveals'] as const;
const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const envName = (name: string) => `BENCH_${kebab(name).replace(/-/g, '_').toUpperCase()}`;

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const quick = argv.includes('--quick') || env.BENCH_QUICK === '1';
  const full = argv.includes('--full') || env.BENCH_FULL === '1';
  const options: BenchOptions = { ...DEFAULTS, ...(full ? FULL : {}), ...(quick ? QUICK : {}) };
  for (const name of NUMERIC) {
    const raw = flagValue(argv, `--${kebab(name)}`) ?? env[envName(name)];
    if (raw === undefined) continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < (name === 'open' ? 0 : 1))
      throw new Error(`--${kebab(name)} wants a whole number${name === 'open' ? '' : ' above 0'}, got ${raw}`);
    options[name] = value;
  }
  options.concurrency = Math.min(options.concurrency, options.flows);
  options.temporalDefaults = argv.includes('--temporal-defaults') || env.BENCH_TEMPORAL_DEFAULTS === '1';
  options.output = flagValue(argv, '--output') ?? env.BENCH_OUTPUT ?? options.output;
  options.cpuProfDir = flagValue(argv, '--cpu-prof-dir') ?? env.BENCH_CPU_PROF_DIR;
  const only = flagValue(argv, '--only') ?? env.BENCH_ONLY;
  if (only !== undefined) {
    if (!(SECTIONS as readonly string[]).includes(only))
      throw new Error(`--only wants one of ${SECTIONS.join(', ')}, got ${only}`);
    options.only = only as Section;
  }
  const known = new Set([
    '--quick',
    '--full',
    '--temporal-defaults',
    '--output',
    '--cpu-prof-dir',
    '--only',
    ...NUMERIC.map((name) => `--${kebab(name)}`),
  ]);
  for (const arg of argv)
    if (arg.startsWith('--') && !known.has(arg.split('=')[0]!))
      throw new Error(`unknown flag ${arg}; known: ${[...known].join(' ')}`);
  return options;
}

function flagValue(argv: string[], flag: string): string | undefined {
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === flag) return argv[i + 1];
    if (argv[i]!.startsWith(`${flag}=`)) return argv[i]!.slice(flag.length + 1);
  }
  return undefined;
}
