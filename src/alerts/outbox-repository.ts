import type { Queryable } from '../db/pool';
import type { Alert } from '../domain/alert';

/** One alert on its way to one sink (migration 009). */
export interface OutboxRow {
  eventId: string;
  sinkId: string;
  alert: Alert;
  createdAt: string;
  attempts: number;
}

interface Row {
  event_id: string;
  sink_id: string;
  alert: Alert;
  created_at: string;
  attempts: number;
}

const fromRow = (row: Row): OutboxRow => ({
  eventId: row.event_id,
  sinkId: row.sink_id,
  alert: row.alert,
  createdAt: row.created_at,
  attempts: row.attempts,
});

const RETURNED = 'event_id, sink_id, alert, created_at, attempts';

export function createOutboxRepository() {
  return {
    /**
     * In the transaction that records the alert's event: one row per sink, claimed by the caller
     * for `claimMs` so it can send them at once. A retried recording inserts nothing again.
     */
    async enqueue(tx: Queryable, alert: Alert, sinkIds: string[], claimMs: number): Promise<OutboxRow[]> {
      if (sinkIds.length === 0) return [];
      const { rows } = await tx.query<Row>(
        `INSERT INTO alert_outbox (event_id, sink_id, request_id, alert, claimed_until)
         SELECT $1, sink_id, $2, $3, clock_timestamp() + make_interval(secs => $5::double precision / 1000)
         FROM unnest($4::text[]) AS sink_id
         ON CONFLICT (event_id, sink_id) DO NOTHING
         RETURNING ${RETURNED}`,
        [alert.eventId, alert.requestId, JSON.stringify(alert), sinkIds, claimMs],
      );
      return rows.map(fromRow);
    },

    /** Claims up to `limit` rows that are due and held by nobody (their holder may have died). */
    async claimDue(db: Queryable, limit: number, claimMs: number): Promise<OutboxRow[]> {
      const { rows } = await db.query<Row>(
        `UPDATE alert_outbox AS o SET claimed_until = now() + make_interval(secs => $2::double precision / 1000)
         FROM (SELECT event_id, sink_id FROM alert_outbox
               WHERE delivered_at IS NULL AND next_attempt_at <= now()
                 AND (claimed_until IS NULL OR claimed_until < now())
               ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) AS due
         WHERE o.event_id = due.event_id AND o.sink_id = due.sink_id
         RETURNING o.event_id, o.sink_id, o.alert, o.created_at, o.attempts`,
        [limit, claimMs],
      );
      return rows.map(fromRow);
    },

    async markDelivered(db: Queryable, row: Pick<OutboxRow, 'eventId' | 'sinkId'>, note: string | null): Promise<void> {
      await db.query(
        `UPDATE alert_outbox SET delivered_at = now(), claimed_until = NULL, attempts = attempts + 1, last_error = $3
         WHERE event_id = $1 AND sink_id = $2`,
        [row.eventId, row.sinkId, note],
      );
    },

    async retryLater(
      db: Queryable,
      row: Pick<OutboxRow, 'eventId' | 'sinkId'>,
      delayMs: number,
      error: string,
    ): Promise<void> {
      await db.query(
        `UPDATE alert_outbox SET attempts = attempts + 1, claimed_until = NULL, last_error = $4,
           next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
         WHERE event_id = $1 AND sink_id = $2`,
        [row.eventId, row.sinkId, delayMs, error],
      );
    },

    /** Rows delivered longer ago than `keepMs`: their delivery is in the sinks and the logs. */
    async purgeDelivered(db: Queryable, keepMs: number): Promise<number> {
      const { rowCount } = await db.query(
        `DELETE FROM alert_outbox WHERE delivered_at < now() - make_interval(secs => $1::double precision / 1000)`,
        [keepMs],
      );
      return rowCount ?? 0;
    },

    /** Alerts of a request not yet taken by their sink (and how many there are in all). */
    async pendingFor(db: Queryable, requestId: string): Promise<{ total: number; pending: number }> {
      const { rows } = await db.query<{ total: number; pending: number }>(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE delivered_at IS NULL)::int AS pending
         FROM alert_outbox WHERE request_id = $1`,
        [requestId],
      );
      return rows[0] ?? { total: 0, pending: 0 };
    },
  };
}

export type OutboxRepository = ReturnType<typeof createOutboxRepository>;
