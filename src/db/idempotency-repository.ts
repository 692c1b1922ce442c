import type { Queryable } from './pool';

/** A key's claim: the body it was first used with and the request id reserved for it. */
export interface Claim {
  bodyHash: string;
  requestId: string;
}

/**
 * An Idempotency-Key reserves its request id when it is first used, before anything else
 * happens. Every attempt with the key (the first, a concurrent one, a retry after a crash)
 * then creates that same request, and creating a request is idempotent by its id: no attempt
 * waits for another, and a holder that died leaves nothing to take over.
 */
export function createIdempotencyRepository() {
  return {
    async claim(
      db: Queryable,
      principal: string,
      key: string,
      bodyHash: string,
      proposedRequestId: string,
    ): Promise<Claim> {
      const { rows } = await db.query<{ body_hash: string; request_id: string }>(
        `INSERT INTO idempotency_keys (principal, key, body_hash, request_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (principal, key) DO UPDATE
           -- Claims of the first version carried no id while their create ran; give one to a claim left so by a crash.
           SET request_id = COALESCE(idempotency_keys.request_id, EXCLUDED.request_id)
         RETURNING body_hash, request_id`,
        [principal, key, bodyHash, proposedRequestId],
      );
      return { bodyHash: rows[0]!.body_hash, requestId: rows[0]!.request_id };
    },

    /** Gives the key a new request id when the one it held was refused and never became a request. */
    async renew(
      db: Queryable,
      principal: string,
      key: string,
      refusedRequestId: string,
      nextRequestId: string,
    ): Promise<string> {
      const { rows } = await db.query<{ request_id: string }>(
        `UPDATE idempotency_keys SET request_id = CASE WHEN request_id = $3 THEN $4 ELSE request_id END
         WHERE principal = $1 AND key = $2 RETURNING request_id`,
        [principal, key, refusedRequestId, nextRequestId],
      );
      return rows[0]?.request_id ?? nextRequestId;
    },
  };
}

export type IdempotencyRepository = ReturnType<typeof createIdempotencyRepository>;
