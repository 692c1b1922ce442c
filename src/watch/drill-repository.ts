import type { Queryable } from '../db/pool';
import type { RequestView } from '../domain/request';
import type { Observation } from './watch-repository';
import { createWatchRepository } from './watch-repository';

export function createDrillRepository() {
  const watch = createWatchRepository();
  return {
    async drillRequests(db: Queryable, accountId: string): Promise<RequestView[]> {
      const { rows } = await db.query<{ view: RequestView }>(
        "SELECT view FROM requests WHERE account_id = $1 AND view->>'scenario' = 'drill' ORDER BY created_at DESC, id DESC",
        [accountId],
      );
      return rows.map((row) => row.view);
    },

    async signInsOf(db: Queryable, requestIds: string[]): Promise<Observation[]> {
      const all = await Promise.all(requestIds.map((id) => watch.forRequest(db, id)));
      return all.flat();
    },

    async lastReminder(db: Queryable, accountId: string): Promise<string | null> {
      const { rows } = await db.query<{ alerted_at: string | Date }>(
        'SELECT alerted_at FROM drill_reminders WHERE account_id = $1',
        [accountId],
      );
      return rows[0] ? new Date(rows[0].alerted_at).toISOString() : null;
    },

    async reminded(db: Queryable, accountId: string, at: string): Promise<void> {
      await db.query(
        'INSERT INTO drill_reminders (account_id, alerted_at) VALUES ($1, $2) ON CONFLICT (account_id) DO UPDATE SET alerted_at = EXCLUDED.alerted_at',
        [accountId, at],
      );
    },

    async clearReminder(db: Queryable, accountId: string): Promise<void> {
      await db.query('DELETE FROM drill_reminders WHERE account_id = $1', [accountId]);
    },
  };
}
