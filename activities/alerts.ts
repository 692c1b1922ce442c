import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { consoleLink, type AlertContent } from '../src/alerts/message';
import { render, type Rendered } from '../src/alerts/render';
import { createSinkHealth } from '../src/alerts/sink-health';
import { redact, type Sink } from '../src/alerts/sinks';
import type { Pool } from '../src/db/pool';
import { BROADCAST_ALERT_WORKFLOW_TYPE, SYSTEM_ACTOR } from '../src/domain/lifecycle';
import type { Alert, AuditHead, BroadcastAlertInput, DeliverAlertInput } from './types';

export interface AlertActivityDeps {
  sinks: Map<string, Sink>;
  pool: Pool;
  /** Links in alerts point to `${consoleUrl}/requests/<id>`. */
  consoleUrl?: string | undefined;
  /** How long an alert may stay undelivered to a sink before `alert.delivery_failing` goes to the others. */
  failingAfterMs?: number;
  timeoutMs?: number;
}

export const DEFAULT_FAILING_AFTER_MS = 15 * 60_000;

async function readHead(pool: Pool): Promise<AuditHead> {
  const { rows } = await pool.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id');
  return rows[0] ?? { seq: 0, hash: '0'.repeat(64) };
}

/** Posts one rendered alert; every failure message is scrubbed of the sink's URL and keys. */
async function post(sink: Sink, rendered: Rendered, timeoutMs: number): Promise<void> {
  let response: Response;
  try {
    response = await fetch(sink.url, {
      method: 'POST',
      headers: rendered.headers,
      body: rendered.payload,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = (error as Error & { cause?: { code?: string } }).cause?.code;
    throw ApplicationFailure.retryable(
      redact(`alert sink ${sink.id} unreachable: ${(error as Error).message}${cause ? ` (${cause})` : ''}`, sink),
      'AlertSinkUnreachable',
    );
  }
  // The body is drained, never quoted: receivers echo tokens back in their error pages.
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok)
    throw ApplicationFailure.retryable(`alert sink ${sink.id} answered ${response.status}`, 'AlertSinkRejected');
}

export function createAlertActivities(deps: AlertActivityDeps) {
  const health = createSinkHealth(deps.pool);
  const failingAfterMs = deps.failingAfterMs ?? DEFAULT_FAILING_AFTER_MS;

  /** Reports the sink to the other sinks once per outage, through a workflow so that report is retried too. */
  async function reportIfFailingTooLong(sink: Sink, error: string): Promise<void> {
    const context = Context.current();
    const since = context.info.scheduledTimestampMs;
    if (Date.now() - since < failingAfterMs) return;
    // The first report of this outage wins: its id, time and error are the same for every caller.
    const report = await health.markFailing(sink, new Date(since).toISOString(), error);
    const alert: Alert = {
      eventId: report.eventId,
      type: 'alert.delivery_failing',
      severity: 'warning',
      requestId: null,
      accountId: null,
      actor: SYSTEM_ACTOR,
      at: new Date().toISOString(),
      summary: `alert sink ${sink.id} (${sink.format}) has not accepted alerts since ${report.since}: ${report.error}; they are retried until it does`,
    };
    const input: BroadcastAlertInput = { alert, exceptSinkId: sink.id };
    await context.client.workflow
      // One report per outage: the id is the outage's, and an id once used is never started again.
      .start(BROADCAST_ALERT_WORKFLOW_TYPE, {
        taskQueue: context.info.taskQueue,
        workflowId: `${context.info.taskQueue}/${report.eventId}`,
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        args: [input],
      })
      .catch((startError: unknown) => {
        if (!(startError instanceof WorkflowExecutionAlreadyStartedError)) throw startError;
      });
  }

  return {
    async listAlertSinks(): Promise<string[]> {
      return [...deps.sinks.keys()];
    },

    /** The audit chain's head, for the daily checkpoint. */
    async readAuditHead(): Promise<AuditHead> {
      return readHead(deps.pool);
    },

    /**
     * Formats the alert for the sink, drops it when the sink does not take it (routing by minimum
     * severity), and throws on anything but 2xx so Temporal retries. Receivers de-duplicate on
     * Idempotency-Key / webhook-id (`eventId:sinkId`) and PagerDuty on dedup_key.
     */
    async deliverAlert({ sinkId, alert }: DeliverAlertInput): Promise<void> {
      const sink = deps.sinks.get(sinkId);
      if (!sink) {
        // The sink was removed from configuration after this request started; nowhere to deliver.
        log.warn('alert sink no longer configured; alert not delivered', {
          sinkId,
          type: alert.type,
          eventId: alert.eventId,
        });
        return;
      }
      const content: AlertContent = {
        ...alert,
        requestId: alert.requestId ?? null,
        accountId: alert.accountId ?? null,
        auditHead: alert.auditHead ?? (await readHead(deps.pool)),
        link: consoleLink(deps.consoleUrl, alert.requestId),
      };
      const rendered = render(content, sink, `${alert.eventId}:${sinkId}`, new Date());
      if (!rendered) {
        log.debug('alert below the sink minimum severity; not sent', {
          sinkId,
          type: alert.type,
          eventId: alert.eventId,
        });
        return;
      }
      try {
        await post(sink, rendered, deps.timeoutMs ?? 10_000);
      } catch (failure) {
        await reportIfFailingTooLong(sink, (failure as Error).message).catch((error: unknown) =>
          log.warn('could not report a failing alert sink; will try again on the next attempt', {
            sinkId,
            error: redact(String((error as Error).message), sink),
          }),
        );
        throw failure;
      }
      await health
        .markDelivered(sink)
        .catch((error: unknown) =>
          log.warn('could not record the sink recovery', { sinkId, error: String((error as Error).message) }),
        );
      log.info('alert delivered', { sinkId, format: sink.format, type: alert.type, eventId: alert.eventId });
    },
  };
}
