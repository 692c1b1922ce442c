import autocannon from 'autocannon';
import { freePort } from '../devstack/processes';
import { DEV_AUDIENCE, DEV_ISSUER } from '../devstack/dev-identity';
import { cpuMs, treeCpuMs } from './machine';
import { startNode } from './services';
import type { World } from './world';

export interface ApiFigures {
  path: string;
  bodyBytes: number;
  connections: number;
  seconds: number;
  reqPerSec: number;
  bareReqPerSec: number;
  ratioToBare: number;
  latencyP50Ms: number;
  bareLatencyP50Ms: number;
  /** The server process's CPU (user + system) per answered request: steadier than req/s on a shared machine. */
  cpuMsPerRequest: number;
  bareCpuMsPerRequest: number;
  /** PostgreSQL's CPU (postmaster and backends) per request of ours; the bare app reads nothing. */
  postgresCpuMsPerRequest: number;
  errors: number;
}

interface Load {
  requests: number;
  seconds: number;
  cpuMs: number;
  postgresCpuMs: number;
  p50s: number[];
  bad: number;
}

async function load(
  url: string,
  token: string,
  connections: number,
  seconds: number,
  pid?: number,
  postgresPid?: number,
): Promise<Load> {
  const cpuBefore = cpuMs(pid);
  const postgresBefore = treeCpuMs(postgresPid);
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    headers: { authorization: `Bearer ${token}` },
  });
  return {
    requests: result.requests.total,
    seconds: result.duration,
    cpuMs: cpuMs(pid) - cpuBefore,
    postgresCpuMs: treeCpuMs(postgresPid) - postgresBefore,
    p50s: [result.latency.p50],
    bad: result.errors + result.timeouts + result.non2xx,
  };
}

const add = (a: Load, b: Load): Load => ({
  requests: a.requests + b.requests,
  seconds: a.seconds + b.seconds,
  cpuMs: a.cpuMs + b.cpuMs,
  postgresCpuMs: a.postgresCpuMs + b.postgresCpuMs,
  p50s: [...a.p50s, ...b.p50s],
  bad: a.bad + b.bad,
});

function figures(total: Load) {
  const p50s = [...total.p50s].sort((a, b) => a - b);
  return {
    reqPerSec: Math.round(total.requests / total.seconds),
    p50: p50s[Math.floor((p50s.length - 1) / 2)]!,
    cpuMsPerRequest: Math.round((total.cpuMs / total.requests) * 1000) / 1000,
    postgresCpuMsPerRequest: Math.round((total.postgresCpuMs / total.requests) * 1000) / 1000,
    bad: total.bad,
  };
}

/**
 * Authenticated GET /v1/requests/:id under load, against a bare Fastify app doing the same JWT
 * verification and answering a body of the same size; each gets the machine to itself in turn,
 * in alternating rounds (req/s over all rounds, p50 the median round's).
 */
export async function benchApi(
  world: World,
  requestId: string,
  options: { connections: number; seconds: number; postgresPid?: number; cpuProfDir?: string },
  log: (line: string) => void,
): Promise<ApiFigures> {
  const token = await world.token('alice');
  const path = `/v1/requests/${requestId}`;
  const probe = await fetch(`${world.apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (probe.status !== 200) throw new Error(`GET ${path} answered ${probe.status}: ${await probe.text()}`);
  const bodyBytes = Buffer.byteLength(await probe.text());
  const port = await freePort();
  const bare = await startNode(
    'bare-api',
    'bench/bare-api.ts',
    {
      BENCH_JWKS_URL: world.jwksUrl,
      BENCH_ISSUER: DEV_ISSUER,
      BENCH_AUDIENCE: DEV_AUDIENCE,
      BENCH_BODY_BYTES: String(bodyBytes),
      PORT: String(port),
    },
    /bare api listening/,
    log,
    // Profiled beside ours, so the two profiles can be read side by side.
    options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : [],
  );
  try {
    const bareUrl = `http://127.0.0.1:${port}${path}`;
    const bareProbe = await fetch(bareUrl, { headers: { authorization: `Bearer ${token}` } });
    if (bareProbe.status !== 200 || Buffer.byteLength(await bareProbe.text()) !== bodyBytes)
      throw new Error('the bare app does not answer like ours');
    // A short warm-up of each (JIT, connection pools) before the measured run.
    await load(`${world.apiUrl}${path}`, token, options.connections, 1);
    await load(bareUrl, token, options.connections, 1);
    // Alternating rounds of about 2 s, so load from elsewhere on a shared machine falls on both alike.
    const rounds = Math.max(1, Math.round(options.seconds / 2));
    const none: Load = { requests: 0, seconds: 0, cpuMs: 0, postgresCpuMs: 0, p50s: [], bad: 0 };
    let oursTotal = none;
    let bareTotal = none;
    for (let round = 0; round < rounds; round += 1) {
      const seconds = options.seconds / rounds;
      oursTotal = add(
        oursTotal,
        await load(
          `${world.apiUrl}${path}`,
          token,
          options.connections,
          seconds,
          world.api.child.pid,
          options.postgresPid,
        ),
      );
      bareTotal = add(bareTotal, await load(bareUrl, token, options.connections, seconds, bare.child.pid));
    }
    const ours = figures(oursTotal);
    const floor = figures(bareTotal);
    return {
      path: '/v1/requests/:id',
      bodyBytes,
      connections: options.connections,
      seconds: options.seconds,
      reqPerSec: ours.reqPerSec,
      bareReqPerSec: floor.reqPerSec,
      ratioToBare: Math.round((ours.reqPerSec / floor.reqPerSec) * 100) / 100,
      latencyP50Ms: ours.p50,
      bareLatencyP50Ms: floor.p50,
      cpuMsPerRequest: ours.cpuMsPerRequest,
      bareCpuMsPerRequest: floor.cpuMsPerRequest,
      postgresCpuMsPerRequest: ours.postgresCpuMsPerRequest,
      errors: ours.bad + floor.bad,
    };
  } finally {
    await bare.stop();
  }
}
