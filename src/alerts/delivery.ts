import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from '../db/pool';
import type { Alert, AuditHead } from '../domain/alert';
import { SYSTEM_ACTOR } from '../domain/lifecycle';
import { consoleLink, type AlertContent } from './message';
import { render, type Rendered } from './render';
import { createSinkHealth } from './sink-health';
import { redact, type Sink } from './sinks';

export interface AlertDeliveryDeps {
  sinks: Map<string, Sink>;
  pool: Pool;
  /** Links in alerts point to `${consoleUrl}/requests/<id>`. */
  consoleUrl?: string | undefined;
  /** How long an alert may stay undelivered to a sink before `alert.delivery_failing` goes to the others. */
  failingAfterMs?: number;
  timeoutMs?: number;
}

export const DEFAULT_FAILING_AFTER_MS = 15 * 60_000;

/** The report of a sink that has failed too long, to go to every other sink (retried until delivered). */
export interface FailingReport {
  alert: Alert;
  exceptSinkId: string;
}

export type DeliveryOutcome = 'delivered' | 'below-minimum' | 'sink-gone';

export async function readAuditHead(pool: Pool): Promise<AuditHead> {
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

/**
 * Delivery of one alert to one sink, shared by the deliverAlert activity and the alert outbox:
 * formats it for the sink, drops it when the sink does not take it (routing by minimum severity),
 * throws on anything but 2xx, and reports a sink that has failed longer than ALERT_FAILING_AFTER.
 * Receivers de-duplicate on Idempotency-Key / webhook-id (`eventId:sinkId`) and PagerDuty on dedup_key.
 */
export function createAlertDelivery(deps: AlertDeliveryDeps) {
  const health = createSinkHealth(deps.pool);
  const failingAfterMs = deps.failingAfterMs ?? DEFAULT_FAILING_AFTER_MS;

  /** Records the outage once (the first report wins) and hands its report to `report`, which sends it idempotently. */
  async function reportIfFailingTooLong(
    sink: Sink,
    error: string,
    undeliveredSinceMs: number,
    report: (failing: FailingReport) => Promise<void>,
  ): Promise<void> {
    if (Date.now() - undeliveredSinceMs < failingAfterMs) return;
    const outage = await health.markFailing(sink, new Date(undeliveredSinceMs).toISOString(), error);
    await report({
      exceptSinkId: sink.id,
      alert: {
        eventId: outage.eventId,
        type: 'alert.delivery_failing',
        severity: 'warning',
        requestId: null,
        accountId: null,
        actor: SYSTEM_ACTOR,
        at: new Date().toISOString(),
        summary: `alert sink ${sink.id} (${sink.format}) has not accepted alerts since ${outage.since}: ${outage.error}; they are retried until it does`,
      },
    });
  }

  return {
    sinkIds: () => [...deps.sinks.keys()],

    async deliver(
      sinkId: string,
      alert: Alert,
      failing: { undeliveredSinceMs: number; report: (failing: FailingReport) => Promise<void>; warn: Warn },
    ): Promise<DeliveryOutcome> {
      const sink = deps.sinks.get(sinkId);
      // The sink was removed from configuration after the alert was raised; nowhere to deliver.
      if (!sink) return 'sink-gone';
      const content: AlertContent = {
        ...alert,
        requestId: alert.requestId ?? null,
        accountId: alert.accountId ?? null,
        auditHead: alert.auditHead ?? (await readAuditHead(deps.pool)),
        link: consoleLink(deps.consoleUrl, alert.requestId),
      };
      const rendered = render(content, sink, `${alert.eventId}:${sinkId}`, new Date());
      if (!rendered) return 'below-minimum';
      try {
        await post(sink, rendered, deps.timeoutMs ?? 10_000);
      } catch (failure) {
        await reportIfFailingTooLong(
          sink,
          (failure as Error).message,
          failing.undeliveredSinceMs,
          failing.report,
        ).catch((error: unknown) =>
          failing.warn('could not report a failing alert sink; will try again on the next attempt', {
            sinkId,
            error: redact(String((error as Error).message), sink),
          }),
        );
        throw failure;
      }
      await health
        .markDelivered(sink)
        .catch((error: unknown) =>
          failing.warn('could not record the sink recovery', { sinkId, error: String((error as Error).message) }),
        );
      return 'delivered';
    },
  };
}

export type Warn = (message: string, meta: Record<string, unknown>) => void;
export type AlertDelivery = ReturnType<typeof createAlertDelivery>;
