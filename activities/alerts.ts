import { ApplicationFailure, log } from '@temporalio/activity';
import type { Alert, DeliverAlertInput } from './types';

export function createAlertActivities(deps: { sinks: Map<string, string>; timeoutMs?: number }) {
  return {
    async listAlertSinks(): Promise<string[]> {
      return [...deps.sinks.keys()];
    },

    /** Throws on anything but 2xx so Temporal retries; the receiver can de-duplicate on Idempotency-Key. */
    async deliverAlert({ sinkId, alert }: DeliverAlertInput): Promise<void> {
      const url = deps.sinks.get(sinkId);
      if (!url) {
        // The sink was removed from configuration after this request started; nowhere to deliver.
        log.warn('alert sink no longer configured; alert not delivered', { sinkId, type: alert.type, eventId: alert.eventId });
        return;
      }
      const { eventId, ...payload }: Alert = alert;
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `${eventId}:${sinkId}` },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
      }).catch((error: unknown) => {
        throw ApplicationFailure.retryable(`alert sink ${sinkId} unreachable: ${(error as Error).message}`, 'AlertSinkUnreachable');
      });
      if (!response.ok) throw ApplicationFailure.retryable(`alert sink ${sinkId} answered ${response.status}`, 'AlertSinkRejected');
      log.info('alert delivered', { sinkId, type: alert.type, eventId });
    },
  };
}
