import type { Queryable } from './pool';

export type Claim = { owner: true } | { owner: false; bodyHash: string; requestId: string | null };

export function createIdempotencyRepository() {
  return {
    /** The first caller with a key owns it; later callers see what the owner recorded. */
    async claim(db: Queryable, principal: string, key: string, bodyHash: string): Promise<Claim> {
      const inserted = await db.query(
        `INSERT INTO idempotency_keys (principal, key, body_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING key`,
        [principal, key, bodyHash],
      );
      if (inserted.rowCount) return { owner: true };
      const { rows } = await db.query<{ body_hash: string; request_id: string | null }>(
        'SELECT body_hash, request_id FROM idempotency_keys WHERE principal = $1 AND key = $2',
        [principal, key],
      );
      // The owner gave up (its create failed) between our insert and select: take it over.
      if (!rows[0]) return this.claim(db, principal, key, bodyHash);
      return { owner: false, bodyHash: rows[0].body_hash, requestId: rows[0].request_id };
    },

    async complete(db: Queryable, principal: string, key: string, requestId: string): Promise<void> {
      await db.query('UPDATE idempotency_keys SET request_id = $3 WHERE principal = $1 AND key = $2', [principal, key, requestId]);
    },

    async release(db: Queryable, principal: string, key: string): Promise<void> {
      await db.query('DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2 AND request_id IS NULL', [principal, key]);
    },
  };
}

export type IdempotencyRepository = ReturnType<typeof createIdempotencyRepository>;
