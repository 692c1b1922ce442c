import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import type { Client } from '@temporalio/client';

export const HISTORIES_ROOT = join(__dirname, '..', 'workflows', 'histories');
/**
 * Histories of the current workflow code, recorded by the path tests; `v1/` holds the frozen first
 * version's, `v2/` the current type's from before the alert outbox (patch `alerts-in-outbox`).
 */
export const HISTORIES_DIR = join(HISTORIES_ROOT, 'v2-outbox');
/** Histories of the watch's workflows (issue 13). */
export const WATCH_HISTORIES_DIR = join(HISTORIES_ROOT, 'watch');

/**
 * With BREAKGLASS_RECORD_HISTORIES=1 the path tests save each finished workflow's history;
 * the replay test runs the committed ones through the current code on every CI run.
 * Stored as binary protobuf: the SDK's JSON helpers trip over two copies of protobufjs
 * in this install ("type must be a Type").
 */
export async function recordHistory(
  client: Client,
  workflowId: string,
  name: string,
  runId?: string,
  dir = HISTORIES_DIR,
): Promise<void> {
  if (process.env.BREAKGLASS_RECORD_HISTORIES !== '1') return;
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.binpb`), temporal.api.history.v1.History.encode(history).finish());
}

export function loadHistory(bytes: Uint8Array): temporal.api.history.v1.History {
  return temporal.api.history.v1.History.decode(bytes);
}
