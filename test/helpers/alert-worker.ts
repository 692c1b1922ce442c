import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { NativeConnection } from '@temporalio/worker';
import { createOutboxRepository } from '../../src/alerts/outbox-repository';
import type { Sink, SinkConfig } from '../../src/alerts/sinks';
import { createWorker } from '../../src/worker';
import { AlertSink } from './alert-sink';
import type { Harness } from './harness';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A fresh Standard Webhooks secret (`whsec_` + base64 of 32 random bytes). */
export const newSigningSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** One local receiver per sink, brought up now and taken down at teardown. */
export async function receivers<K extends string>(t: Teardown, names: readonly K[]): Promise<Record<K, AlertSink>> {
  const out = {} as Record<K, AlertSink>;
  for (const name of names) {
    const sink = new AlertSink();
    await sink.up();
    out[name] = sink;
    t.teardown(() => sink.down());
  }
  return out;
}

/**
 * The real worker on the harness's task queue with the given sinks (as ALERT_SINKS would
 * configure them), for tests about formats and routing. The harness must be made without its own worker.
 */
export async function startAlertWorker(
  t: Teardown,
  h: Harness,
  sinks: SinkConfig[],
  alerts: { consoleUrl?: string; failingAfterMs?: number } = {},
) {
  const connection = await NativeConnection.connect({ address: h.stack.env.TEMPORAL_ADDRESS });
  const worker = await createWorker({
    connection,
    namespace: 'default',
    taskQueue: h.taskQueue,
    pool: h.pool,
    secrets: h.secrets,
    alertSinks: new Map<string, Sink>(sinks.map((sink) => [sink.name, { ...sink, id: sink.name }])),
    alerts,
    workflowBundle: { codePath: h.stack.workflowBundlePath },
  });
  const running = worker.run();
  t.teardown(async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    await connection.close();
  });
  return worker;
}

/** History payloads are bytes (JSON, possibly base64 in transit): decode every one to text, to search it. */
export function historyText(history: unknown): string {
  return JSON.stringify(history, (key, value: unknown) => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    if (key === 'data' && typeof value === 'string') return `${value} ${Buffer.from(value, 'base64').toString('utf8')}`;
    const bytes = value as { type?: string; data?: number[] } | null;
    if (bytes && bytes.type === 'Buffer' && Array.isArray(bytes.data)) return Buffer.from(bytes.data).toString('utf8');
    return value;
  });
}

/**
 * True once every alert of the request has reached its sinks, so no further alert is on its way:
 * the outbox's rows of the request (workflows since the outbox), and any deliverAlert the workflow
 * scheduled itself (a failing re-seal, and workflows started before the outbox).
 */
export async function alertsSettled(h: Harness, workflowId: string): Promise<boolean> {
  const history = await h.temporal.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = new Set<string>();
  let completed = 0;
  for (const event of history.events ?? []) {
    if (event.activityTaskScheduledEventAttributes?.activityType?.name === 'deliverAlert')
      scheduled.add(String(event.eventId));
    const done = event.activityTaskCompletedEventAttributes?.scheduledEventId;
    if (done !== undefined && done !== null && scheduled.has(String(done))) completed += 1;
  }
  const outbox = await createOutboxRepository().pendingFor(h.pool, workflowId);
  return scheduled.size + outbox.total > 0 && completed === scheduled.size && outbox.pending === 0;
}

/** Validates bodies against the documented receiver shapes in test/fixtures/alerts. */
export function receiverShapes() {
  const ajv = new Ajv({ allErrors: true });
  addFormats(ajv);
  ajv.addKeyword('documentation');
  const load = (name: string) =>
    JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'alerts', `${name}.schema.json`), 'utf8')) as {
      examples?: unknown[];
    };
  const shapes = Object.fromEntries(
    (['generic', 'slack', 'teams', 'pagerduty'] as const).map((name) => {
      const schema = load(name);
      return [name, { validate: ajv.compile(schema), examples: schema.examples ?? [] }];
    }),
  ) as Record<'generic' | 'slack' | 'teams' | 'pagerduty', { validate: ValidateFunction; examples: unknown[] }>;
  return { shapes, errors: (name: keyof typeof shapes) => ajv.errorsText(shapes[name].validate.errors) };
}
