import { z } from 'zod';
import { createPool } from './db/pool';
import { migrate } from './db/migrate';
import { configSchema } from './config';

/** `npm run migrate`: needs only the database settings, exits non-zero when a migration fails. */
async function main() {
  const parsed = configSchema.pick({ DATABASE_URL: true, DATABASE_SCHEMA: true }).safeParse(process.env);
  if (!parsed.success) {
    process.stderr.write(`breakglass migrate: ${z.prettifyError(parsed.error).replace(/\n/g, ' ')}\n`);
    process.exit(78);
  }
  const pool = createPool({ url: parsed.data.DATABASE_URL, schema: parsed.data.DATABASE_SCHEMA, max: 1 });
  try {
    const result = await migrate(pool, { schema: parsed.data.DATABASE_SCHEMA });
    process.stdout.write(
      result.applied.length
        ? `applied ${result.applied.join(', ')}; schema at ${result.current}\n`
        : `nothing to apply; schema at ${result.current}\n`,
    );
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`breakglass migrate: ${(error as Error).message}\n`);
  process.exit(1);
});
