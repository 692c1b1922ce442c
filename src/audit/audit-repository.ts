import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/pool';
import { GENESIS_HASH, hashEvent, type AuditFields } from './chain';

export interface AuditEvent extends AuditFields {
  prevHash: string;
  hash: string;
}

export interface NewAuditEvent {
  eventId?: string;
  at?: string;
  actor: string;
  action: string;
  requestId?: string | null;
  accountId?: string | null;
  details?: Record<string, unknown>;
}

interface Row {
  seq: number;
  event_id: string;
  at: string;
  actor: string;
  action: string;
  request_id: string | null;
  account_id: string | null;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

const fromRow = (row: Row): AuditEvent => ({
  seq: row.seq,
  eventId: row.event_id,
  at: row.at,
  actor: row.actor,
  action: row.action,
  requestId: row.request_id,
  accountId: row.account_id,
  details: row.details,
  prevHash: row.prev_hash,
  hash: row.hash,
});

export interface VerifyResult {
  ok: boolean;
  events: number;
  firstBrokenSeq: number | null;
  /** When a checkpoint hash was given: whether the intact part of the chain still contains it. */
  checkpoint?: { hash: string; found: boolean; seq: number | null };
}

export function createAuditRepository() {
  return {
    /**
     * Appends one event at the end of the chain. Must run inside a transaction: the head
     * row lock serialises appends, and a retried append with the same eventId writes once.
     */
    async append(tx: Queryable, event: NewAuditEvent): Promise<AuditEvent> {
      const eventId = event.eventId ?? randomUUID();
      // One round trip for the head (locked) and the event if it is already there; one to write both.
      const found = await tx.query<{ head_seq: number; head_hash: string } & Partial<Row>>(
        `SELECT h.seq AS head_seq, h.hash AS head_hash, e.*
         FROM audit_head h LEFT JOIN audit_events e ON e.event_id = $1
         WHERE h.id FOR UPDATE OF h`,
        [eventId],
      );
      const row = found.rows[0];
      if (row?.event_id) return fromRow(row as Row);
      const prev = row ? { seq: row.head_seq, hash: row.head_hash } : { seq: 0, hash: GENESIS_HASH };
      const fields: AuditFields = {
        seq: prev.seq + 1,
        eventId,
        at: new Date(event.at ?? Date.now()).toISOString(),
        actor: event.actor,
        action: event.action,
        requestId: event.requestId ?? null,
        accountId: event.accountId ?? null,
        details: event.details ?? {},
      };
      const hash = hashEvent(fields, prev.hash);
      // A concurrent attempt of the same event that held the head lock first is not seen by the
      // join above (its snapshot predates the wait): the insert then does nothing, nor does the
      // head move, and the stored row is read again.
      const written = await tx.query(
        `WITH appended AS (
           INSERT INTO audit_events (seq, event_id, at, actor, action, request_id, account_id, details, prev_hash, hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (event_id) DO NOTHING
           RETURNING seq, hash)
         UPDATE audit_head SET seq = appended.seq, hash = appended.hash FROM appended WHERE audit_head.id`,
        [
          fields.seq,
          eventId,
          fields.at,
          fields.actor,
          fields.action,
          fields.requestId,
          fields.accountId,
          JSON.stringify(fields.details),
          prev.hash,
          hash,
        ],
      );
      if (written.rowCount === 0) {
        const stored = await tx.query<Row>('SELECT * FROM audit_events WHERE event_id = $1', [eventId]);
        return fromRow(stored.rows[0]!);
      }
      return { ...fields, prevHash: prev.hash, hash };
    },

    async list(
      db: Queryable,
      filter: { requestId?: string; accountId?: string; after?: number; limit: number },
    ): Promise<AuditEvent[]> {
      const { rows } = await db.query<Row>(
        `SELECT * FROM audit_events
         WHERE ($1::text IS NULL OR request_id = $1) AND ($2::text IS NULL OR account_id = $2) AND seq > $3
         ORDER BY seq LIMIT $4`,
        [filter.requestId ?? null, filter.accountId ?? null, filter.after ?? 0, filter.limit],
      );
      return rows.map(fromRow);
    },

    /**
     * Walks the whole chain in seq order and names the first row that does not fit. The head is
     * read first and the walk stops at it, so events appended while it runs are not mistaken
     * for a broken chain (an append commits its row and the head together). With a checkpoint (a
     * head hash sent out in an alert), also says whether the intact chain still contains it: a
     * full rewrite of the table and its head verifies, but loses every checkpoint.
     */
    async verify(db: Queryable, batchSize = 1000, checkpoint?: string): Promise<VerifyResult> {
      const head = await db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id');
      const recorded = head.rows[0];
      const last = recorded?.seq ?? 0;
      let expectedSeq = 1;
      let prevHash = GENESIS_HASH;
      let checkpointSeq: number | null = checkpoint === GENESIS_HASH ? 0 : null;
      const withCheckpoint = (result: VerifyResult): VerifyResult =>
        checkpoint === undefined
          ? result
          : {
              ...result,
              ok: result.ok && checkpointSeq !== null,
              checkpoint: { hash: checkpoint, found: checkpointSeq !== null, seq: checkpointSeq },
            };
      for (;;) {
        const { rows } = await db.query<Row>(
          'SELECT * FROM audit_events WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3',
          [expectedSeq, last, batchSize],
        );
        for (const row of rows) {
          const event = fromRow(row);
          const broken =
            event.seq !== expectedSeq || event.prevHash !== prevHash || hashEvent(event, prevHash) !== event.hash;
          if (broken) return withCheckpoint({ ok: false, events: expectedSeq - 1, firstBrokenSeq: expectedSeq });
          if (event.hash === checkpoint) checkpointSeq = event.seq;
          prevHash = event.hash;
          expectedSeq += 1;
        }
        if (rows.length < batchSize) break;
      }
      const events = expectedSeq - 1;
      // Rows deleted from the end of the chain leave the head pointing past it.
      if (!recorded || recorded.seq !== events || recorded.hash !== prevHash)
        return withCheckpoint({ ok: false, events, firstBrokenSeq: Math.min(events + 1, recorded?.seq ?? events + 1) });
      return withCheckpoint({ ok: true, events, firstBrokenSeq: null });
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
