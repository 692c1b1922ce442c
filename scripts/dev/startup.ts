import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DEMO, seedDemoAccount } from '../../src/accounts/seed-demo';
import { createAuditRepository } from '../../src/audit/audit-repository';
import { createAccountsRepository } from '../../src/db/accounts-repository';
import { createSecretClient, primeSecretClient } from '../../src/keyvault/secret-client';
import type { Config } from '../../src/config';
import type { Pool } from '../../src/db/pool';

/** Steps of dev mode's start: the demo account, the worker's readiness, and how a URL is shown. */

/** A demo account (requester alice, approvers bob and carol, reviewer erin) so the README walk-through works at once. */
export async function seedDemo(config: Config, pool: Pool, log: (line: string) => void): Promise<void> {
  const secrets = createSecretClient(config);
  await primeSecretClient(secrets);
  const seeded = await seedDemoAccount({
    pool,
    secrets,
    accounts: createAccountsRepository(),
    audit: createAuditRepository(),
  });
  log(
    `demo account "${DEMO.accountId}": ${seeded ? 'created' : 'present'} (requester ${DEMO.requester}, approvers ${DEMO.approvers.join(' and ')}, reviewer ${DEMO.reviewer})`,
  );
}

/**
 * Whether the worker with this pid polls the task queue (its default identity is pid@host).
 * Pollers of an earlier run stay listed for a while, so any poller would not do.
 */
export async function workerPolls(
  connection: Connection,
  namespace: string,
  taskQueue: string,
  workerPid: number,
): Promise<boolean> {
  const { pollers } = await connection.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return (pollers ?? []).some((poller) => poller.identity?.startsWith(`${workerPid}@`));
}

export function describeUrl(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.hostname}:${url.port}${url.pathname}${url.username ? ` (user ${decodeURIComponent(url.username)})` : ''}`;
  } catch {
    return '(configured)';
  }
}
