import { Context, log } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { readAuditHead, type AlertDelivery, type FailingReport } from '../src/alerts/delivery';
import type { Pool } from '../src/db/pool';
import { BROADCAST_ALERT_WORKFLOW_TYPE } from '../src/domain/lifecycle';
import type { AuditHead, BroadcastAlertInput, DeliverAlertInput } from './types';

/** Sends a failing sink's report through a workflow, so that report is retried too; one per outage. */
export async function startFailingReport(
  client: Context['client'],
  taskQueue: string,
  { alert, exceptSinkId }: FailingReport,
): Promise<void> {
  const input: BroadcastAlertInput = { alert, exceptSinkId };
  await client.workflow
    // The id is the outage's, and an id once used is never started again.
    .start(BROADCAST_ALERT_WORKFLOW_TYPE, {
      taskQueue,
      workflowId: `${taskQueue}/${alert.eventId}`,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      args: [input],
    })
    .catch((startError: unknown) => {
      if (!(startError instanceof WorkflowExecutionAlreadyStartedError)) throw startError;
    });
}

export function createAlertActivities(deps: { delivery: AlertDelivery; pool: Pool }) {
  const { delivery } = deps;

  return {
    async listAlertSinks(): Promise<string[]> {
      return delivery.sinkIds();
    },

    /** The audit chain's head, for the daily checkpoint. */
    async readAuditHead(): Promise<AuditHead> {
      return readAuditHead(deps.pool);
    },

    /** One alert to one sink, retried by Temporal until the sink takes it (see createAlertDelivery). */
    async deliverAlert({ sinkId, alert }: DeliverAlertInput): Promise<void> {
      const context = Context.current();
      const outcome = await delivery.deliver(sinkId, alert, {
        undeliveredSinceMs: context.info.scheduledTimestampMs,
        report: (failing) => startFailingReport(context.client, context.info.taskQueue, failing),
        warn: (message, meta) => log.warn(message, meta),
      });
      const meta = { sinkId, type: alert.type, eventId: alert.eventId };
      if (outcome === 'sink-gone') log.warn('alert sink no longer configured; alert not delivered', meta);
      else if (outcome === 'below-minimum') log.debug('alert below the sink minimum severity; not sent', meta);
      else log.info('alert delivered', meta);
    },
  };
}
