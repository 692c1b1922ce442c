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
  pool.on('error', (error) =>
    process.stderr.write(`breakglass: idle PostgreSQL connection lost (${error.message}); the pool reconnects\n`),
  );
  return pool;
}

/**
 * A connection checked out of the pool has no listener of the pool's: if the server dies while
 * it is held (mid-transaction), its `error` event would be unhandled and end the process. The
 * failing query rejects on its own; the listener only keeps the process alive, and the broken
 * connection is destroyed on release instead of going back to the pool.
 */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
    process.stderr.write(`breakglass: PostgreSQL connection lost during a transaction (${error.message})\n`);
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    if (!broken) await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken ?? undefined);
  }
}
