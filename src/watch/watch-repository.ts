import type { Queryable } from '../db/pool';
import type { RequestView } from '../domain/request';
import type { SignInEvidence } from './correlation';

/** Sign-in observations, cursors and watch health (migration 007). Methods take a pool or a transaction. */

export interface Observation {
  signInId: string;
  accountId: string;
  requestId: string | null;
  signedInAt: string;
  observedAt: string;
  succeeded: boolean;
  details: SignInEvidence;
  handled: boolean;
}

interface ObservationRow {
  signin_id: string;
  account_id: string;
  request_id: string | null;
  signed_in_at: Date | string;
  observed_at: Date | string;
  succeeded: boolean;
  details: SignInEvidence;
  handled_at: Date | string | null;
}

const fromRow = (row: ObservationRow): Observation => ({
  signInId: row.signin_id,
  accountId: row.account_id,
  requestId: row.request_id,
  signedInAt: new Date(row.signed_in_at).toISOString(),
  observedAt: new Date(row.observed_at).toISOString(),
  succeeded: row.succeeded,
  details: row.details,
  handled: row.handled_at !== null,
});

export interface WatchHealth {
  consecutiveFailures: number;
  degraded: boolean;
  lastError: string | null;
  lastSuccessAt: string | null;
}

export function createWatchRepository() {
  return {
    async cursor(db: Queryable, accountId: string): Promise<Date | null> {
      const { rows } = await db.query<{ polled_until: Date }>(
        'SELECT polled_until FROM signin_cursors WHERE account_id = $1',
        [accountId],
      );
      return rows[0] ? new Date(rows[0].polled_until) : null;
    },

    async setCursor(db: Queryable, accountId: string, polledUntil: Date): Promise<void> {
      await db.query(
        `INSERT INTO signin_cursors (account_id, polled_until) VALUES ($1, $2)
         ON CONFLICT (account_id) DO UPDATE SET polled_until = GREATEST(signin_cursors.polled_until, EXCLUDED.polled_until), updated_at = now()`,
        [accountId, polledUntil],
      );
    },

    /** The account's requests that were ever released (their windows), from the read model. */
    async releasedRequests(db: Queryable, accountId: string): Promise<RequestView[]> {
      const { rows } = await db.query<{ view: RequestView }>(
        "SELECT view FROM requests WHERE account_id = $1 AND view->>'releasedAt' IS NOT NULL",
        [accountId],
      );
      return rows.map((row) => row.view);
    },

    /** true when this sign-in is new; a sign-in read again (look-back overlap, duplicates) is ignored. */
    async insertObservation(db: Queryable, o: Omit<Observation, 'observedAt' | 'handled'>): Promise<boolean> {
      const result = await db.query(
        `INSERT INTO signin_observations (signin_id, account_id, request_id, signed_in_at, succeeded, details)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (signin_id) DO NOTHING`,
        [o.signInId, o.accountId, o.requestId, o.signedInAt, o.succeeded, JSON.stringify(o.details)],
      );
      return (result.rowCount ?? 0) > 0;
    },

    /** Sign-ins whose alerts (and case) are not yet raised, oldest first. */
    async unhandled(db: Queryable): Promise<Observation[]> {
      const { rows } = await db.query<ObservationRow>(
        'SELECT * FROM signin_observations WHERE handled_at IS NULL ORDER BY signed_in_at, signin_id LIMIT 200',
      );
      return rows.map(fromRow);
    },

    async markHandled(db: Queryable, signInIds: string[]): Promise<void> {
      await db.query(
        'UPDATE signin_observations SET handled_at = now() WHERE signin_id = ANY ($1) AND handled_at IS NULL',
        [signInIds],
      );
    },

    async forRequest(db: Queryable, requestId: string): Promise<Observation[]> {
      const { rows } = await db.query<ObservationRow>(
        'SELECT * FROM signin_observations WHERE request_id = $1 ORDER BY signed_in_at, signin_id',
        [requestId],
      );
      return rows.map(fromRow);
    },

    async lastForAccount(db: Queryable, accountId: string): Promise<Observation | null> {
      const { rows } = await db.query<ObservationRow>(
        'SELECT * FROM signin_observations WHERE account_id = $1 ORDER BY signed_in_at DESC LIMIT 1',
        [accountId],
      );
      return rows[0] ? fromRow(rows[0]) : null;
    },

    async health(db: Queryable, watch: string): Promise<WatchHealth> {
      const { rows } = await db.query<{
        consecutive_failures: number;
        degraded: boolean;
        last_error: string | null;
        last_success_at: Date | null;
      }>('SELECT * FROM watch_health WHERE watch = $1', [watch]);
      const row = rows[0];
      return {
        consecutiveFailures: row?.consecutive_failures ?? 0,
        degraded: row?.degraded ?? false,
        lastError: row?.last_error ?? null,
        lastSuccessAt: row?.last_success_at ? new Date(row.last_success_at).toISOString() : null,
      };
    },

    /** Records one run's outcome; answers whether the watch just became degraded or recovered. */
    async recordRun(
      db: Queryable,
      watch: string,
      error: string | null,
      degradedAfter: number,
    ): Promise<'degraded' | 'recovered' | null> {
      const { rows } = await db.query<{ degraded: boolean; consecutive_failures: number }>(
        `INSERT INTO watch_health (watch) VALUES ($1) ON CONFLICT (watch) DO UPDATE SET watch = EXCLUDED.watch
         RETURNING degraded, consecutive_failures`,
        [watch],
      );
      const before = rows[0]!;
      if (error === null) {
        await db.query(
          'UPDATE watch_health SET consecutive_failures = 0, degraded = false, last_error = NULL, last_success_at = now(), updated_at = now() WHERE watch = $1',
          [watch],
        );
        return before.degraded ? 'recovered' : null;
      }
      const failures = before.consecutive_failures + 1;
      const degraded = before.degraded || failures >= degradedAfter;
      await db.query(
        'UPDATE watch_health SET consecutive_failures = $2, degraded = $3, last_error = $4, updated_at = now() WHERE watch = $1',
        [watch, failures, degraded, error.slice(0, 500)],
      );
      return degraded && !before.degraded ? 'degraded' : null;
    },
  };
}

export type WatchRepository = ReturnType<typeof createWatchRepository>;
