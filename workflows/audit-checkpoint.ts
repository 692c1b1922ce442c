import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { SYSTEM_ACTOR } from '../src/domain/lifecycle';
import { broadcastAlert } from './alert-broadcast';

const { readAuditHead } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/**
 * Run by a Temporal Schedule (daily by default): sends the audit chain's head to every sink, so a
 * copy of the chain's state lives outside the database. A later full rewrite of the table and its
 * head cannot contain that hash, and `GET /v1/audit/verify?checkpoint=` says so.
 */
export async function auditCheckpoint(): Promise<{ seq: number; hash: string }> {
  const head = await readAuditHead();
  const { workflowId, startTime } = workflowInfo();
  await broadcastAlert({
    alert: {
      eventId: `audit.checkpoint:${workflowId}`,
      type: 'audit.checkpoint',
      severity: 'info',
      requestId: null,
      accountId: null,
      actor: SYSTEM_ACTOR,
      at: startTime.toISOString(),
      summary: `audit chain head at seq ${head.seq}: ${head.hash}`,
      auditHead: head,
    },
  });
  return head;
}
