import type { Pool } from '../src/db/pool';
import { withTransaction } from '../src/db/pool';
import type { AuditRepository } from '../src/audit/audit-repository';
import type { RequestsRepository } from '../src/db/requests-repository';
import type { RecordEventInput } from './types';

/** Audit row and read model move together in one transaction, so neither can claim what the other lacks. */
export function createRecordEvent(deps: { pool: Pool; audit: AuditRepository; requests: RequestsRepository }) {
  return async function recordEvent(input: RecordEventInput): Promise<void> {
    await withTransaction(deps.pool, async (tx) => {
      await deps.audit.append(tx, {
        eventId: input.eventId,
        at: input.at,
        actor: input.actor,
        action: input.action,
        requestId: input.requestId,
        accountId: input.accountId,
        details: input.details,
      });
      await deps.requests.project(tx, input.view);
    });
  };
}
