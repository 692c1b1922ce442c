import type { Queryable } from './pool';

export interface UnansweredKey {
  requestId: string;
  actor: string;
  action: string;
  argsHash: string;
}

/** Update ids of actions the API answered 503 to while they may still take effect (see migration 005). */
export function createUnansweredUpdatesRepository() {
  return {
    async find(db: Queryable, key: UnansweredKey): Promise<string | null> {
      const { rows } = await db.query<{ update_id: string }>(
        'SELECT update_id FROM unanswered_updates WHERE request_id = $1 AND actor = $2 AND action = $3 AND args_hash = $4',
        [key.requestId, key.actor, key.action, key.argsHash],
      );
      return rows[0]?.update_id ?? null;
    },

    async remember(db: Queryable, key: UnansweredKey, updateId: string): Promise<void> {
      await db.query(
        `INSERT INTO unanswered_updates (request_id, actor, action, args_hash, update_id) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (request_id, actor, action, args_hash) DO NOTHING`,
        [key.requestId, key.actor, key.action, key.argsHash, updateId],
      );
    },

    async forget(db: Queryable, key: UnansweredKey): Promise<void> {
      await db.query(
        'DELETE FROM unanswered_updates WHERE request_id = $1 AND actor = $2 AND action = $3 AND args_hash = $4',
        [key.requestId, key.actor, key.action, key.argsHash],
      );
    },
  };
}

export type UnansweredUpdatesRepository = ReturnType<typeof createUnansweredUpdatesRepository>;
