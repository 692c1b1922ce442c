import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';

export const MIGRATIONS_DIR = join(__dirname, '..', '..', 'migrations');

interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

const FILE_PATTERN = /^(\d{3})\.do\.([a-z0-9_-]+)\.sql$/;

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = FILE_PATTERN.exec(file);
      if (!match) throw new Error(`migration file ${file} is not named NNN.do.name.sql`);
      const sql = readFileSync(join(dir, file), 'utf8');
      return {
        version: Number(match[1]),
        name: match[2]!,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1)
      throw new Error(
        `migrations must be numbered 001, 002, … without gaps; found ${migration.version} at position ${index + 1}`,
      );
  });
  return migrations;
}

export interface MigrationResult {
  applied: string[];
  current: number;
}

/**
 * Applies pending migrations under a session advisory lock, so two processes starting at
 * once apply each migration exactly once: the second waits, then finds nothing to do.
 */
export async function migrate(
  pool: pg.Pool,
  options: { schema?: string; dir?: string } = {},
): Promise<MigrationResult> {
  const schema = options.schema ?? 'public';
  const migrations = loadMigrations(options.dir);
  const client = await pool.connect();
  // A server that dies mid-migration fails the query in hand; without a listener it would also end the process.
  const ignore = () => {};
  client.on('error', ignore);
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`breakglass.migrate.${schema}`]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
        version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
        `SELECT version, name, checksum FROM ${schema}.schema_migrations ORDER BY version`,
      );
      const known = new Map(rows.map((row) => [row.version, row]));
      for (const row of rows) {
        const file = migrations.find((migration) => migration.version === row.version);
        if (!file)
          throw new Error(
            `database has migration ${row.version} (${row.name}) that this code does not know; refusing to run an older build`,
          );
        if (file.checksum !== row.checksum)
          throw new Error(
            `migration ${row.version} (${row.name}) was changed after it was applied; add a new migration instead`,
          );
      }
      const applied: string[] = [];
      for (const migration of migrations.filter((candidate) => !known.has(candidate.version))) {
        await client.query('BEGIN');
        try {
          await client.query(`SET LOCAL search_path TO ${schema}`);
          await client.query(migration.sql);
          await client.query(`INSERT INTO ${schema}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`, [
            migration.version,
            migration.name,
            migration.checksum,
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new Error(
            `migration ${String(migration.version).padStart(3, '0')}.${migration.name} failed: ${(error as Error).message}`,
          );
        }
        applied.push(`${String(migration.version).padStart(3, '0')}.${migration.name}`);
      }
      return { applied, current: migrations.length };
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`breakglass.migrate.${schema}`]);
    }
  } finally {
    client.off('error', ignore);
    client.release();
  }
}
