import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { loadMigrations, migrate, MIGRATIONS_DIR } from '../../src/db/migrate';
import { createPool, type Pool } from '../../src/db/pool';
import { lines, runScript } from '../helpers/foundation-process';
import { testStack } from '../helpers/stack-env';

/**
 * Migrations against the run's real PostgreSQL, one fresh schema per test (dropped at the end):
 * ordered, recorded once, safe when several processes start at once, atomic when one fails,
 * and refusing a database whose applied migrations were edited or are newer than the code.
 */

// Derived from the real migration files, so adding one does not break these tests.
const REAL = loadMigrations();
const EXPECTED = REAL.map((m) => `${String(m.version).padStart(3, '0')}.${m.name}`);
const NEXT = String(REAL.length + 1).padStart(3, '0');
const TABLES = [
  'accounts',
  'alert_outbox',
  'audit_events',
  'audit_head',
  'drift_checks',
  'drill_reminders',
  'idempotency_keys',
  'identity_mappings',
  'passkeys',
  'requests',
  'schema_migrations',
  'sessions',
  'signin_cases',
  'signin_cursors',
  'signin_observations',
  'unanswered_updates',
  'watch_health',
  'webauthn_challenges',
];

let databaseUrl: string;
const schemas = new Set<string>();
const pools: Pool[] = [];
const tempDirs: string[] = [];
let admin: Pool;

t.before(async () => {
  databaseUrl = (await testStack()).env.DATABASE_URL;
  admin = createPool({ url: databaseUrl, max: 2 });
});

t.teardown(async () => {
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
  await Promise.allSettled(pools.map((pool) => pool.end()));
  await admin.end();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function freshSchema(): string {
  const schema = `t_mig_${randomBytes(5).toString('hex')}`;
  schemas.add(schema);
  return schema;
}

function poolFor(schema: string, max = 2): Pool {
  const pool = createPool({ url: databaseUrl, schema, max });
  pools.push(pool);
  return pool;
}

/** A temporary migrations folder: copies of the real ones plus `extra` files. */
function migrationsDir(extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'bg-migrations-'));
  tempDirs.push(dir);
  for (const file of readdirSync(MIGRATIONS_DIR)) copyFileSync(join(MIGRATIONS_DIR, file), join(dir, file));
  for (const [file, sql] of Object.entries(extra)) writeFileSync(join(dir, file), sql);
  return dir;
}

async function tablesOf(schema: string): Promise<string[]> {
  const { rows } = await admin.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
    [schema],
  );
  return rows.map((row) => row.table_name);
}

async function recorded(schema: string): Promise<Array<{ version: number; name: string }>> {
  const { rows } = await admin.query<{ version: number; name: string }>(
    `SELECT version, name FROM ${schema}.schema_migrations ORDER BY version, name`,
  );
  return rows;
}

async function rejects(t: Test, work: Promise<unknown>, pattern: RegExp, label: string): Promise<string> {
  try {
    await work;
    t.fail(`${label}: resolved`);
    return '';
  } catch (error) {
    const message = (error as Error).message;
    t.match(message, pattern, `${label}: ${message}`);
    return message;
  }
}

void t.test('first run applies 001..003 in order and creates the tables; a second run applies nothing', async (t) => {
  const schema = freshSchema();
  const pool = poolFor(schema);
  const first = await migrate(pool, { schema });
  t.same(first.applied, EXPECTED, 'all applied, in order');
  t.equal(first.current, REAL.length);
  t.same(
    await tablesOf(schema),
    TABLES,
    'accounts, requests, audit_events, audit_head, schema_migrations exist in the schema',
  );
  t.same(
    await recorded(schema),
    REAL.map((m) => ({ version: m.version, name: m.name })),
  );
  const head = await admin.query(`SELECT seq, hash FROM ${schema}.audit_head`);
  t.same(head.rows, [{ seq: 0, hash: '0'.repeat(64) }], 'the audit chain starts at the genesis head');

  const second = await migrate(pool, { schema });
  t.same(second.applied, [], 'second run applies nothing');
  t.equal(second.current, REAL.length);
  t.equal((await recorded(schema)).length, REAL.length, 'still one row per migration');
});

void t.test(
  'two migrate-cli processes started at once on an empty schema: both succeed, each migration once',
  async (t) => {
    for (let round = 1; round <= 2; round += 1) {
      const schema = freshSchema();
      const env = { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema };
      const [a, b] = await Promise.all([
        runScript('src/migrate-cli.ts', env, 60_000),
        runScript('src/migrate-cli.ts', env, 60_000),
      ]);
      for (const [label, result] of [
        ['first', a],
        ['second', b],
      ] as const) {
        t.equal(result.code, 0, `round ${round}, ${label} process exits 0 (stderr: ${JSON.stringify(result.stderr)})`);
        t.equal(result.stderr, '', `round ${round}, ${label} process: nothing on stderr`);
      }
      const outputs = [a.stdout.trim(), b.stdout.trim()].sort();
      t.same(
        outputs,
        [`applied ${EXPECTED.join(', ')}; schema at ${REAL.length}`, `nothing to apply; schema at ${REAL.length}`],
        `round ${round}: one applied everything, the other found nothing to do`,
      );
      const { rows } = await admin.query<{ version: number; n: number }>(
        `SELECT version, count(*)::int AS n FROM ${schema}.schema_migrations GROUP BY version ORDER BY version`,
      );
      t.same(
        rows,
        REAL.map((m) => ({ version: m.version, n: 1 })),
        `round ${round}: each migration row exactly once`,
      );
      t.same(await tablesOf(schema), TABLES, `round ${round}: tables exist`);
    }
  },
);

void t.test(
  'many migrations racing in-process on the same empty schema (CREATE SCHEMA included) all succeed',
  async (t) => {
    for (let round = 1; round <= 10; round += 1) {
      const schema = freshSchema();
      const racers = Array.from({ length: 4 }, () => poolFor(schema, 1));
      // Connected beforehand, so the racers reach their first statement together, as replicas
      // starting against a fresh database do.
      await Promise.all(racers.map((pool) => pool.query('SELECT 1')));
      const results = await Promise.allSettled(racers.map((pool) => migrate(pool, { schema })));
      const failures = results.flatMap((result) =>
        result.status === 'rejected' ? [String((result.reason as Error).message)] : [],
      );
      t.same(failures, [], `round ${round}: no racer failed`);
      const applied = results.flatMap((result) => (result.status === 'fulfilled' ? result.value.applied : []));
      t.same(applied.sort(), EXPECTED, `round ${round}: each migration applied by exactly one racer`);
      t.equal((await recorded(schema)).length, REAL.length, `round ${round}: one row per migration`);
    }
  },
);

void t.test('a failing migration is named, rolled back whole, and leaves the earlier ones applied', async (t) => {
  const schema = freshSchema();
  const pool = poolFor(schema);
  const broken = migrationsDir({
    // The first statement is valid: it must be rolled back with the broken second one.
    [`${NEXT}.do.broken.sql`]: 'CREATE TABLE half_done (id integer);\nCREATE TABLE broken (id integer,, oops);\n',
  });
  const message = await rejects(
    t,
    migrate(pool, { schema, dir: broken }),
    new RegExp(`\\b${NEXT}\\b`),
    'a broken migration rejects naming its number',
  );
  t.match(message, /broken/, 'the message names the migration file');
  t.match(message, /syntax error/, 'and carries the database reason');
  t.same(
    await recorded(schema),
    REAL.map((m) => ({ version: m.version, name: m.name })),
    'the real migrations applied and recorded, the broken one not',
  );
  t.same(await tablesOf(schema), TABLES, 'no table of the broken migration exists (half_done was rolled back)');

  // The advisory lock was released: another connection can migrate right away.
  const other = poolFor(schema, 1);
  const again = await Promise.race([
    migrate(other, { schema }),
    new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error('migrate blocked: the advisory lock was not released after the failure')),
        10_000,
      ),
    ),
  ]);
  t.same(again.applied, [], 'with the real migrations nothing is pending');

  // Fixing 004 applies exactly 004.
  const fixed = migrationsDir({ [`${NEXT}.do.broken.sql`]: 'CREATE TABLE fixed_up (id integer PRIMARY KEY);\n' });
  const result = await migrate(pool, { schema, dir: fixed });
  t.same(result.applied, [`${NEXT}.broken`], 'the fixed migration applies alone');
  t.equal(result.current, REAL.length + 1);
  t.ok((await tablesOf(schema)).includes('fixed_up'), 'the fixed migration created its table in the schema');

  // An older build (without 004) refuses the newer database.
  await rejects(
    t,
    migrate(pool, { schema }),
    new RegExp(`migration ${REAL.length + 1} \\(broken\\).*does not know`),
    'older code refuses a newer database',
  );
});

void t.test('an applied migration that was edited is refused', async (t) => {
  const schema = freshSchema();
  const pool = poolFor(schema);
  await migrate(pool, { schema });

  const edited = migrationsDir();
  appendFileSync(join(edited, '002.do.requests.sql'), '\nCREATE INDEX requests_status_idx ON requests (status);\n');
  await rejects(
    t,
    migrate(pool, { schema, dir: edited }),
    /migration 2 \(requests\) was changed after it was applied/,
    'an edited file is refused',
  );
  t.notOk(
    (
      await admin.query(`SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND indexname = 'requests_status_idx'`, [
        schema,
      ])
    ).rowCount,
    'the edit was not run',
  );

  await admin.query(`UPDATE ${schema}.schema_migrations SET checksum = 'f00d' WHERE version = 3`);
  await rejects(
    t,
    migrate(pool, { schema }),
    /migration 3 \(audit\) was changed after it was applied; add a new migration instead/,
    'a checksum mismatch in the table is refused',
  );
});

void t.test('migrate-cli: clear non-zero exit when the database is unreachable or not configured', async (t) => {
  const schema = freshSchema();
  const closed = await runScript(
    'src/migrate-cli.ts',
    { DATABASE_URL: 'postgres://bg:pw-s3cret@127.0.0.1:1/db', DATABASE_SCHEMA: schema },
    60_000,
  );
  t.notOk(closed.timedOut, 'closed port: gives up on its own');
  t.not(closed.code, 0, 'closed port: non-zero exit');
  t.not(closed.code, null, 'closed port: exited, not killed');
  t.equal(lines(closed.stderr).length, 1, `closed port: one stderr line (got ${JSON.stringify(closed.stderr)})`);
  t.match(
    closed.stderr,
    /^breakglass migrate: .*ECONNREFUSED 127\.0\.0\.1:1/,
    'closed port: says the connection was refused and where',
  );
  t.notMatch(closed.stderr, /pw-s3cret/, 'closed port: the password is not printed');
  t.notMatch(closed.stderr, /\n\s+at /, 'closed port: no stack');

  const notSet = await runScript('src/migrate-cli.ts', { DATABASE_SCHEMA: schema }, 60_000);
  t.equal(notSet.code, 78, 'DATABASE_URL unset: exit 78');
  t.match(notSet.stderr, /DATABASE_URL/, 'DATABASE_URL unset: names the variable');
  t.equal(lines(notSet.stderr).length, 1, 'DATABASE_URL unset: one line');

  const badSchema = await runScript(
    'src/migrate-cli.ts',
    { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: 'x; DROP SCHEMA public' },
    60_000,
  );
  t.equal(badSchema.code, 78, 'an unsafe DATABASE_SCHEMA is refused before any SQL: exit 78');
  t.match(badSchema.stderr, /DATABASE_SCHEMA/, 'names DATABASE_SCHEMA');
});
