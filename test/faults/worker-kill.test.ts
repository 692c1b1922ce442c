import t from 'tap';
import type { ChildProcess } from 'node:child_process';
import { stateQuery } from '../../src/domain/messages';
import { TcpProxy } from '../helpers/foundation-proxy';
import { PEOPLE, setupHarness, type Harness } from '../helpers/harness';
import { checkInvariants } from '../helpers/invariants';
import { eventually } from '../helpers/wait';
import { spawnWorker, waitForOutput } from '../helpers/worker-process';

/**
 * The worker SIGKILLed at the worst moments of a release: the audit trail still follows
 * causality (no release before the approvals that cause it), and a kill during the unseal
 * delays the release by seconds, not by a long activity timeout.
 */

let h: Harness;
t.before(async () => {
  h = await setupHarness(t, { worker: false });
});

const who = (id: string) => ({ id, isAdmin: false });
const workers: ChildProcess[] = [];
t.teardown(() => workers.forEach((worker) => worker.kill('SIGKILL')));

async function startWorker(env: Record<string, string> = {}): Promise<ChildProcess> {
  const output: string[] = [];
  const worker = spawnWorker(h, output, env);
  workers.push(worker);
  await waitForOutput(output, /worker ready/);
  return worker;
}

async function kill(worker: ChildProcess): Promise<void> {
  if (worker.exitCode !== null || worker.signalCode !== null) return;
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  worker.kill('SIGKILL');
  await exited;
}

const statusOf = async (id: string) => (await h.requests.get(h.pool, id))?.status;
const workflowStatus = async (id: string) => (await h.temporal.workflow.getHandle(id).query(stateQuery)).status;

void t.test('worker killed right as the deciding approval arrives: the trail stays in causal order', async (t) => {
  for (const delayMs of [0, 80]) {
    const worker = await startWorker();
    const { account } = await h.createAccount({ policy: { approvalTimeout: 'PT2M', releaseWindow: 'PT2M' } });
    const created = await h.lifecycle.create(who(PEOPLE.requester), {
      accountId: account.id,
      scenario: 'admin_compromise',
      justification: 'admins compromised',
      incidentRef: null,
    });
    await h.lifecycle.decide(who(PEOPLE.approver1), created.id, 'approve', null);
    const deciding = h.lifecycle
      .decide(who(PEOPLE.approver2), created.id, 'approve', null)
      .catch((error: Error) => error);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    await kill(worker);
    await startWorker();
    await deciding;
    // The read model may say released from the killed worker's task (its records were committed)
    // while the new worker is still re-running that task: wait for the workflow too.
    await eventually(
      'released after the restart',
      async () => (await statusOf(created.id)) === 'released' && (await workflowStatus(created.id)) === 'released',
      60_000,
    );
    await checkInvariants(t, h, created.id);
    await h.lifecycle.close(who(PEOPLE.requester), created.id, 'done');
    await eventually('closed', async () => (await statusOf(created.id)) === 'awaiting_review', 30_000);
    await checkInvariants(t, h, created.id);
    for (const running of workers.splice(0)) await kill(running);
  }
});

void t.test('worker killed during the unseal: the release is delayed by seconds', async (t) => {
  const keyVault = TcpProxy.forUrl(h.stack.env.KEYVAULT_URL);
  await keyVault.up();
  t.teardown(() => keyVault.down());
  const viaProxy = { KEYVAULT_URL: keyVault.url(h.stack.env.KEYVAULT_URL) };
  const worker = await startWorker(viaProxy);
  const { account } = await h.createAccount({ policy: { approvalTimeout: 'PT2M', releaseWindow: 'PT2M' } });
  const created = await h.lifecycle.create(who(PEOPLE.requester), {
    accountId: account.id,
    scenario: 'federation_outage',
    justification: 'ADFS down',
    incidentRef: null,
  });
  await h.lifecycle.decide(who(PEOPLE.approver1), created.id, 'approve', null);

  // Key Vault stops answering, so the unseal is in progress when the worker dies.
  await keyVault.down();
  await keyVault.up('blackhole');
  const deciding = h.lifecycle
    .decide(who(PEOPLE.approver2), created.id, 'approve', null)
    .catch((error: Error) => error);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  t.equal(await statusOf(created.id), 'pending_approval', 'the unseal has not completed');
  await kill(worker);
  const killedAt = Date.now();
  await keyVault.down();
  await keyVault.up('relay');
  await startWorker(viaProxy);
  const restartMs = Date.now() - killedAt;
  await deciding;
  await eventually('released after the restart', async () => (await statusOf(created.id)) === 'released', 60_000, 50);
  const delayMs = Date.now() - killedAt;
  const afterRestartMs = delayMs - restartMs;
  t.ok(afterRestartMs < 12_000, `released ${afterRestartMs} ms after the new worker was ready`);
  t.comment(
    `worker killed during the unseal: released ${delayMs} ms after the kill; the new worker took ${restartMs} ms to start, the release ${afterRestartMs} ms more`,
  );
  await checkInvariants(t, h, created.id);
});
