import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DeliverAlertInput } from '../activities/types';
import { ALERT_TYPES, FAILURE, type AlertType } from '../src/domain/lifecycle';
import type { RequestView } from '../src/domain/request';
import { appendEvent } from '../src/domain/view-changes';

// Postgres writes take milliseconds: run them in the workflow task (no task dispatch), retried
// until they succeed. A busy account is an answer, not a failure to retry.
const { recordEvent, listAlertSinks } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    nonRetryableErrorTypes: [FAILURE.accountBusy],
  },
});

// Alerts run beside the lifecycle, retried quickly and forever: a sink that is down only delays them.
const { deliverAlert } = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

export interface AlertSpec {
  type: AlertType;
  summary: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * How the workflow writes what happened: each change goes to the timeline at once, then to the
 * audit trail and read model strictly in the order it happened (one event after the other), and
 * only once recorded is it alerted: through the alert outbox written in the same transaction, or
 * (workflows started before it) by deliverAlert activities scheduled here. So the trail follows causality even when a write is retried,
 * and no alert announces an event the trail does not hold.
 */
export function createRecorder(
  view: RequestView,
  carried: { sinkIds: string[] | null; undeliveredAlerts: DeliverAlertInput[] },
  /** The event's alert is written with it to the alert outbox (true for workflows started since it exists). */
  alertsInOutbox: boolean,
) {
  let chain: Promise<void> = Promise.resolve();
  let queued = 0;
  let halted = false;
  let sinkIds = carried.sinkIds;
  const undelivered = new Map<string, DeliverAlertInput>();
  const inFlight: Promise<void>[] = [];

  async function sinks(): Promise<string[]> {
    sinkIds ??= await listAlertSinks();
    return sinkIds;
  }

  function deliver(input: DeliverAlertInput) {
    const key = `${input.alert.eventId}:${input.sinkId}`;
    undelivered.set(key, input);
    inFlight.push(deliverAlert(input).then(() => void undelivered.delete(key)));
  }

  /** Sends an alert to every sink; used directly only for alerts that record nothing (a failing re-seal). */
  async function alert(eventId: string, at: string, actor: string, spec: AlertSpec): Promise<void> {
    for (const sinkId of await sinks()) {
      deliver({
        sinkId,
        alert: {
          eventId,
          type: spec.type,
          severity: ALERT_TYPES[spec.type],
          requestId: view.id,
          accountId: view.accountId,
          actor,
          at,
          summary: spec.summary,
        },
      });
    }
  }

  /** Records a change that the caller has already applied to the view; resolves once it is in the trail. */
  function emit(action: string, actor: string, details: Record<string, unknown>, spec?: AlertSpec): Promise<void> {
    const at = iso(Date.now());
    appendEvent(view, action, actor, at, details);
    const eventId = `${view.id}:${view.version}`;
    const snapshot = JSON.parse(JSON.stringify(view)) as RequestView;
    queued += 1;
    const recorded = chain
      .then(async () => {
        // A refused creation leaves nothing behind: nothing after it is written either.
        if (halted) throw new Error(`not recorded: an earlier event of ${view.id} was refused`);
        await recordEvent({
          eventId,
          at,
          actor,
          action,
          requestId: view.id,
          accountId: view.accountId,
          details,
          view: snapshot,
          ...(spec && alertsInOutbox ? { alert: spec } : {}),
        });
        if (spec && !alertsInOutbox) await alert(eventId, at, actor, spec);
      })
      .catch((error: unknown) => {
        halted = true;
        throw error;
      })
      .finally(() => {
        queued -= 1;
      });
    chain = recorded.catch(() => undefined);
    return recorded;
  }

  for (const input of carried.undeliveredAlerts) deliver(input);

  return {
    emit,
    alert,
    /** True when every change made so far is in the audit trail and read model. */
    settled: () => queued === 0,
    /** Every alert raised so far has reached its sinks. */
    delivered: () => Promise.all(inFlight).then(() => undefined),
    undeliveredAlerts: () => [...undelivered.values()],
    knownSinks: () => sinkIds,
  };
}

export type Recorder = ReturnType<typeof createRecorder>;
