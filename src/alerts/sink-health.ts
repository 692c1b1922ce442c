import { createAuditRepository } from '../audit/audit-repository';
import { withTransaction, type Pool, type Queryable } from '../db/pool';
import { SYSTEM_ACTOR } from '../domain/lifecycle';

/**
 * Whether a sink is failing is kept in the audit trail itself: `alert.delivery_failing` when a
 * sink has left an alert undelivered too long, `alert.delivery_recovered` when it accepts one
 * again. The latest of the two per sink is the sink's state, so every worker and the API agree,
 * an outage is reported once, and the record is tamper-evident like every other decision.
 */
export const SINK_FAILING = 'alert.delivery_failing';
export const SINK_RECOVERED = 'alert.delivery_recovered';

export interface FailingSink {
  sink: string;
  format: string;
  since: string;
  reportedAt: string;
  reportEventId: string;
}

// The actions are written into the text (not parameters), so the planner can use the partial index
// of migration 008, whose predicate names them.
const SINK_STATE = `action IN ('${SINK_FAILING}', '${SINK_RECOVERED}')`;

async function latest(
  db: Queryable,
  sink: string,
): Promise<{ action: string; eventId: string; details: Record<string, unknown> } | null> {
  const { rows } = await db.query<{ action: string; event_id: string; details: Record<string, unknown> }>(
    `SELECT action, event_id, details FROM audit_events WHERE ${SINK_STATE} AND details->>'sink' = $1 ORDER BY seq DESC LIMIT 1`,
    [sink],
  );
  return rows[0] ? { action: rows[0].action, eventId: rows[0].event_id, details: rows[0].details } : null;
}

export function createSinkHealth(pool: Pool) {
  const audit = createAuditRepository();
  return {
    /**
     * Records the outage unless it is already recorded; returns the event id of the outage's
     * report either way, so the caller can make sure the report was sent (idempotently).
     */
    async markFailing(
      sink: { id: string; format: string },
      undeliveredSince: string,
      error: string,
    ): Promise<{ eventId: string; since: string; error: string }> {
      return withTransaction(pool, async (tx) => {
        // The head lock serialises this check-then-append with every other writer of the chain.
        await tx.query('SELECT seq FROM audit_head WHERE id FOR UPDATE');
        const last = await latest(tx, sink.id);
        if (last?.action === SINK_FAILING)
          return {
            eventId: last.eventId,
            since: String(last.details.undeliveredSince),
            error: String(last.details.error),
          };
        const event = await audit.append(tx, {
          eventId: `${SINK_FAILING}:${sink.id}:${undeliveredSince}`,
          actor: SYSTEM_ACTOR,
          action: SINK_FAILING,
          details: { sink: sink.id, format: sink.format, undeliveredSince, error },
        });
        return { eventId: event.eventId, since: undeliveredSince, error };
      });
    },

    /** After a successful delivery: closes an open outage of this sink, if there is one. */
    async markDelivered(sink: { id: string; format: string }): Promise<void> {
      if ((await latest(pool, sink.id))?.action !== SINK_FAILING) return;
      await withTransaction(pool, async (tx) => {
        await tx.query('SELECT seq FROM audit_head WHERE id FOR UPDATE');
        const last = await latest(tx, sink.id);
        if (last?.action !== SINK_FAILING) return;
        await audit.append(tx, {
          eventId: `${SINK_RECOVERED}:${last.eventId}`,
          actor: SYSTEM_ACTOR,
          action: SINK_RECOVERED,
          details: { sink: sink.id, format: sink.format },
        });
      });
    },
  };
}

/** The latest state row of each sink. */
export const FAILING_SINKS_SQL = `SELECT DISTINCT ON (details->>'sink') action, event_id, at, details FROM audit_events
     WHERE ${SINK_STATE} ORDER BY details->>'sink', seq DESC`;

/** Sinks whose latest state is failing, for /readyz (which stays green: alerts wait, nothing is lost). */
export async function failingSinks(db: Queryable): Promise<FailingSink[]> {
  const { rows } = await db.query<{ action: string; event_id: string; at: string; details: Record<string, string> }>(
    FAILING_SINKS_SQL,
  );
  return rows
    .filter((row) => row.action === SINK_FAILING)
    .map((row) => ({
      sink: String(row.details.sink),
      format: String(row.details.format),
      since: String(row.details.undeliveredSince),
      reportedAt: row.at,
      reportEventId: row.event_id,
    }));
}
