import t from 'tap';
import { isSecretDisabledError } from '../../src/keyvault/secret-client';
import { setupHarness, PEOPLE, type Harness } from '../helpers/harness';
import { eventually } from '../helpers/wait';
import { spawnWorker, waitForOutput } from '../helpers/worker-process';

let h: Harness;
t.before(async () => {
  h = await setupHarness(t, { worker: false });
});

const who = (id: string) => ({ id, isAdmin: false });

void t.test('the worker is killed during a release and started again: the window still ends on time', async (t) => {
  const { account } = await h.createAccount({
    policy: { releaseWindow: 'PT10S', reviewDue: 'PT3S', reviewReminder: 'PT1H' },
  });
  const output: string[] = [];
  const first = spawnWorker(h, output);
  t.teardown(() => void first.kill('SIGKILL'));
  await waitForOutput(output, /worker ready/);

  const created = await h.lifecycle.create(who(PEOPLE.requester), {
    accountId: account.id,
    scenario: 'pim_unavailable',
    justification: 'PIM outage',
    incidentRef: null,
  });
  await h.lifecycle.decide(who(PEOPLE.approver1), created.id, 'approve', null);
  const released = await h.lifecycle.decide(who(PEOPLE.approver2), created.id, 'approve', null);
  t.equal(released.status, 'released');

  first.kill('SIGKILL');
  await new Promise((resolve) => first.once('exit', resolve));
  t.pass('worker killed with SIGKILL while the credential is released');
  await new Promise((resolve) => setTimeout(resolve, 4000));

  const second = spawnWorker(h, output);
  t.teardown(() => void second.kill('SIGKILL'));
  await waitForOutput(output, /worker ready[\s\S]*worker ready/);

  const closed = await eventually(
    'the window to end',
    async () => {
      const view = await h.requests.get(h.pool, created.id);
      return view?.status === 'awaiting_review' && view;
    },
    40_000,
  );
  const lateBy = Date.parse(closed.closedAt!) - Date.parse(released.releaseExpiresAt!);
  t.ok(lateBy >= 0 && lateBy < 5000, `the session closed ${lateBy} ms after the window ended`);
  t.equal(closed.closedBy, 'system');
  try {
    await h.secrets.getSecret(account.secretName);
    t.fail('Key Vault handed out the secret after the window');
  } catch (error) {
    t.ok(isSecretDisabledError(error), 're-sealed: Key Vault refuses the secret');
  }
  await eventually('review.overdue', () => h.sink.types(created.id).includes('review.overdue'), 30_000);
  t.pass('the review is still demanded after the restart');
  second.kill('SIGTERM');
  await new Promise((resolve) => second.once('exit', resolve));
});
