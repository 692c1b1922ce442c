import type { Pool, Queryable } from '../db/pool';
import type { Alert } from '../domain/alert';
import type { AlertDelivery, FailingReport, Warn } from './delivery';
import { createOutboxRepository, type OutboxRow } from './outbox-repository';

export interface AlertOutboxDeps {
  pool: Pool;
  delivery: AlertDelivery;
  /** Sends a failing sink's report to the other sinks, idempotently (one per outage). */
  report: (failing: FailingReport) => Promise<void>;
  log: { info: Warn; warn: Warn };
  /** How often rows that are due again, or left by a worker that died, are looked for. */
  sweepEveryMs?: number;
  /** How long a worker holds a row while it sends it: longer than one delivery attempt can take. */
  claimMs?: number;
}

// As the deliverAlert activity's retry policy: quickly at first, then every 10 seconds, forever.
const RETRY_MS = [1_000, 2_000, 4_000, 8_000, 10_000];
const SWEEP_BATCH = 50;
const MAX_IN_FLIGHT = 200;
// An alert for a sink this worker does not know waits this long for a worker that does.
const UNKNOWN_SINK_GRACE_MS = 60 * 60_000;
const UNKNOWN_SINK_RETRY_MS = 60_000;
// Delivered rows are kept a while (to see what went where), then purged by one sweep in so many.
const KEEP_DELIVERED_MS = 30 * 86_400_000;
const PURGE_EVERY_SWEEPS = 600;

/**
 * Alerts of recorded events: written with the event (enqueue, in its transaction), sent by the
 * recording worker as soon as the transaction commits (send), and retried by every worker's
 * sweep until each sink takes them. The lifecycle never waits for a sink, and its history holds no
 * alert traffic, so a slow or failing sink delays no one's next step.
 */
export function createAlertOutbox(deps: AlertOutboxDeps) {
  const repository = createOutboxRepository();
  const sweepEveryMs = deps.sweepEveryMs ?? 1_000;
  const claimMs = deps.claimMs ?? 15_000;
  const inFlight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> | undefined;
  let stopped = false;
  let sweeps = 0;

  async function attempt(row: OutboxRow): Promise<void> {
    try {
      const outcome = await deps.delivery.deliver(row.sinkId, row.alert, {
        undeliveredSinceMs: Date.parse(row.createdAt),
        report: deps.report,
        warn: deps.log.warn,
      });
      const meta = { sinkId: row.sinkId, type: row.alert.type, eventId: row.eventId };
      if (outcome === 'sink-gone' && Date.now() - Date.parse(row.createdAt) < UNKNOWN_SINK_GRACE_MS) {
        // Another worker (a rolling change of the sinks) may know it: left to their sweeps a while.
        await repository.retryLater(deps.pool, row, UNKNOWN_SINK_RETRY_MS, 'sink not configured on this worker');
        return;
      }
      if (outcome === 'sink-gone') deps.log.warn('alert sink no longer configured; alert not delivered', meta);
      else if (outcome === 'delivered') deps.log.info('alert delivered', meta);
      await repository.markDelivered(deps.pool, row, outcome === 'delivered' ? null : outcome);
    } catch (error) {
      const message = (error as Error).message;
      const delay = RETRY_MS[Math.min(row.attempts, RETRY_MS.length - 1)]!;
      deps.log.warn('alert not delivered; will retry', { sinkId: row.sinkId, eventId: row.eventId, error: message });
      // If this write fails too, the claim runs out and a sweep retries the row.
      await repository.retryLater(deps.pool, row, delay, message).catch(() => undefined);
    }
  }

  function send(rows: OutboxRow[]): void {
    for (const row of rows) {
      if (stopped) return;
      const sending = attempt(row).finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    }
  }

  async function sweep(): Promise<void> {
    sweeps += 1;
    if (sweeps % PURGE_EVERY_SWEEPS === 0)
      await repository
        .purgeDelivered(deps.pool, KEEP_DELIVERED_MS)
        .catch((error: unknown) =>
          deps.log.warn('alert outbox purge failed; the next one tries again', { error: (error as Error).message }),
        );
    // A slow sink must not pile up sends: what is not claimed waits for the next sweep.
    const room = MAX_IN_FLIGHT - inFlight.size;
    if (room <= 0) return;
    try {
      send(await repository.claimDue(deps.pool, Math.min(SWEEP_BATCH, room), claimMs));
    } catch (error) {
      deps.log.warn('alert outbox sweep failed; next sweep tries again', { error: (error as Error).message });
    }
  }

  return {
    /** In the recording transaction: the alert for every configured sink; send the result after commit. */
    enqueue: (tx: Queryable, alert: Alert): Promise<OutboxRow[]> =>
      repository.enqueue(tx, alert, deps.delivery.sinkIds(), claimMs),
    send,
    start(): void {
      stopped = false;
      timer ??= setInterval(() => {
        sweeping ??= sweep().finally(() => (sweeping = undefined));
      }, sweepEveryMs);
      timer.unref();
    },
    /** Stops sweeping and waits for the sends under way; what is left is picked up by the next worker. */
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      timer = undefined;
      await sweeping;
      await Promise.allSettled([...inFlight]);
    },
  };
}

export type AlertOutbox = ReturnType<typeof createAlertOutbox>;
