import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyBaseLogger } from 'fastify';
import { ALERT_TYPES, BROADCAST_ALERT_WORKFLOW_TYPE, type AlertType } from '../domain/lifecycle';
import type { Alert } from '../../activities/types';

/**
 * Raises an alert that belongs to no request through a short workflow (workflows/alert-broadcast.ts),
 * so it is retried until delivered. The audit row is written first by the caller; when Temporal
 * cannot take the alert the failure is logged and the caller's action still stands.
 */
export function createServiceAlerts(deps: {
  temporal: Client;
  taskQueue: string;
  log?: Pick<FastifyBaseLogger, 'error'>;
}) {
  return async function raise(type: AlertType, actor: string, summary: string, accountId = ''): Promise<void> {
    const eventId = randomUUID();
    const alert: Alert = {
      eventId,
      type,
      severity: ALERT_TYPES[type],
      requestId: '',
      accountId,
      actor,
      at: new Date().toISOString(),
      summary,
    };
    try {
      await deps.temporal.withDeadline(Date.now() + 5_000, () =>
        deps.temporal.workflow.start(BROADCAST_ALERT_WORKFLOW_TYPE, {
          workflowId: `alert-${eventId}`,
          taskQueue: deps.taskQueue,
          args: [{ alert }],
        }),
      );
    } catch (error) {
      deps.log?.error(
        { type, reason: error instanceof Error ? error.message : String(error) },
        'could not hand the alert to Temporal',
      );
    }
  };
}

export type RaiseServiceAlert = ReturnType<typeof createServiceAlerts>;
