import { ApplicationFailure, log } from '@temporalio/activity';
import type { Pool } from '../src/db/pool';
import { withTransaction } from '../src/db/pool';
import type { AuditRepository } from '../src/audit/audit-repository';
import { AccountBusyError, type RequestsRepository } from '../src/db/requests-repository';
import type { AlertOutbox } from '../src/alerts/alert-outbox';
import { ALERT_TYPES, FAILURE } from '../src/domain/lifecycle';
import type { RecordEventInput } from './types';

/**
 * Audit row and read model move together in one transaction, so neither can claim what the
 * other lacks, and the event's alerts go into the outbox in the same transaction. The read model's unique index keeps one open request per account: a creation
 * that would be a second one is refused (not retried), and nothing of it is written.
 */
export function createRecordEvent(deps: {
  pool: Pool;
  audit: AuditRepository;
  requests: RequestsRepository;
  outbox: AlertOutbox;
}) {
  const write = (input: RecordEventInput) =>
    withTransaction(deps.pool, async (tx) => {
      const recorded = await deps.audit.append(tx, {
        eventId: input.eventId,
        at: input.at,
        actor: input.actor,
        action: input.action,
        requestId: input.requestId,
        accountId: input.accountId,
        details: input.details,
      });
      await deps.requests.project(tx, input.view);
      if (!input.alert) return { at: recorded.at, alerts: [] };
      const alerts = await deps.outbox.enqueue(tx, {
        eventId: input.eventId,
        type: input.alert.type,
        severity: ALERT_TYPES[input.alert.type],
        requestId: input.requestId,
        accountId: input.accountId,
        actor: input.actor,
        at: input.at,
        summary: input.alert.summary,
      });
      return { at: recorded.at, alerts };
    });

  /** Answers the time the trail holds for the event: its own, or that of an earlier attempt that got there first. */
  return async function recordEvent(input: RecordEventInput): Promise<{ at: string }> {
    try {
      const written = await write(input);
      // Sent once committed: no alert announces an event the trail does not hold.
      deps.outbox.send(written.alerts);
      return { at: written.at };
    } catch (error) {
      if (!(error instanceof AccountBusyError)) throw error;
      const abandoned = await deps.requests.removeAbandoned(deps.pool, input.accountId);
      if (abandoned) {
        log.warn('removed an abandoned first row of a request whose workflow never started', {
          requestId: abandoned,
          accountId: input.accountId,
        });
        return recordEvent(input);
      }
      const open = await deps.requests.openRequestOf(deps.pool, input.accountId);
      throw ApplicationFailure.create({
        type: FAILURE.accountBusy,
        nonRetryable: true,
        message: `account ${input.accountId} already has a request that is pending_approval or released${open ? ` (${open.id})` : ''}`,
      });
    }
  };
}
