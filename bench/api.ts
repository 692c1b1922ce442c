import autocannon from 'autocannon';
import { freePort } from '../devstack/processes';
import { DEV_AUDIENCE, DEV_ISSUER } from '../devstack/dev-identity';
import { cpuMs } from './machine';
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
  errors: number;
}

async function load(url: string, token: string, connections: number, seconds: number, pid?: number) {
  const cpuBefore = cpuMs(pid);
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    headers: { authorization: `Bearer ${token}` },
  });
  const bad = result.errors + result.timeouts + result.non2xx;
  const cpuMsPerRequest = Math.round(((cpuMs(pid) - cpuBefore) / result.requests.total) * 1000) / 1000;
  return { reqPerSec: Math.round(result.requests.average), p50: result.latency.p50, bad, cpuMsPerRequest };
}

/**
 * Authenticated GET /v1/requests/:id under load, against a bare Fastify app doing the same JWT
 * verification and answering a body of the same size; each gets the machine to itself in turn.
 */
export async function benchApi(
  world: World,
  requestId: string,
  options: { connections: number; seconds: number },
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
  );
  try {
    const bareUrl = `http://127.0.0.1:${port}${path}`;
    const bareProbe = await fetch(bareUrl, { headers: { authorization: `Bearer ${token}` } });
    if (bareProbe.status !== 200 || Buffer.byteLength(await bareProbe.text()) !== bodyBytes)
      throw new Error('the bare app does not answer like ours');
    // A short warm-up of each (JIT, connection pools) before the measured run.
    await load(`${world.apiUrl}${path}`, token, options.connections, 1);
    await load(bareUrl, token, options.connections, 1);
    const ours = await load(`${world.apiUrl}${path}`, token, options.connections, options.seconds, world.api.child.pid);
    const floor = await load(bareUrl, token, options.connections, options.seconds, bare.child.pid);
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
      errors: ours.bad + floor.bad,
    };
  } finally {
    await bare.stop();
  }
}
