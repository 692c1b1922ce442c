import pg from 'pg';

// Timestamps come back as ISO strings we control, not Dates in the server's zone.
pg.types.setTypeParser(pg.types.builtins.TIMESTAMPTZ, (value) => new Date(value).toISOString());
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export type Pool = pg.Pool;
export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

export function createPool(options: { url: string; schema?: string; max?: number }): pg.Pool {
  const schema = options.schema ?? 'public';
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // The schema comes from validated config (a plain identifier), so it is safe to inline.
    options: `-c search_path=${schema}`,
    application_name: 'breakglass',
  });
  pool.on('error', (error) => process.stderr.write(`breakglass: idle PostgreSQL connection lost (${error.message}); the pool reconnects\n`));
  return pool;
}

export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
