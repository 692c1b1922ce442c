import t from 'tap';
import { setupHarness, PEOPLE, type Harness } from '../helpers/harness';
import { eventually } from '../helpers/wait';
import { isSecretDisabledError } from '../../src/keyvault/secret-client';
import { recordHistory } from '../helpers/histories';

const alice = { id: PEOPLE.requester, isAdmin: false };
const bob = { id: PEOPLE.approver1, isAdmin: false };
const carol = { id: PEOPLE.approver2, isAdmin: false };
const erin = { id: PEOPLE.reviewer, isAdmin: false };
const admin = { id: PEOPLE.admin, isAdmin: true };

const REVIEW = {
  actionsAppropriate: true,
  signInLogsReviewed: true,
  credentialRotated: true,
  findings: 'CA policy fixed; no other changes',
  followUpTicket: 'INC-1',
};
const ask = {
  scenario: 'conditional_access_lockout' as const,
  justification: 'CA policy locked out all admins',
  incidentRef: 'INC-1',
};

t.jobs = 6;

let h: Harness;
t.before(async () => {
  h = await setupHarness(t);
});

const sealed = async (secretName: string) => {
  try {
    await h.secrets.getSecret(secretName);
    return false;
  } catch (error) {
    if (isSecretDisabledError(error)) return true;
    throw error;
  }
};

void t.test('completed: two approvals, release, reveal, close by the requester, review', async (t) => {
  const { account, secretValue } = await h.createAccount();
  t.ok(await sealed(account.secretName), 'Key Vault refuses the secret before release');
  const created = await h.lifecycle.create(alice, { accountId: account.id, ...ask });
  t.equal(created.status, 'pending_approval');
  t.equal(created.requiredApprovals, 2, 'policy copied into the request');

  const afterFirst = await h.lifecycle.decide(bob, created.id, 'approve', 'confirmed on bridge call');
  t.equal(afterFirst.status, 'pending_approval', 'one approval of two is not enough');
  t.ok(await sealed(account.secretName), 'still sealed after one approval');

  const released = await h.lifecycle.decide(carol, created.id, 'approve', null);
  t.equal(released.status, 'released', 'second approval releases');
  t.ok(released.releaseExpiresAt, 'release window set');
  const direct = await h.secrets.getSecret(account.secretName);
  t.equal(direct.properties.enabled, true, 'Key Vault hands out the secret while released');

  const revealed = await h.lifecycle.reveal(alice, created.id);
  t.equal(revealed.value, secretValue, 'reveal returns the credential from Key Vault');
  t.equal(revealed.releaseExpiresAt, released.releaseExpiresAt);

  const closed = await h.lifecycle.close(alice, created.id, 'restored the CA policy exclusion');
  t.equal(closed.status, 'awaiting_review');
  t.equal(closed.closedBy, PEOPLE.requester);
  t.equal(closed.closeSummary, 'restored the CA policy exclusion');
  t.ok(closed.reviewDueAt, 'review due date set');
  t.ok(await sealed(account.secretName), 'Key Vault refuses the secret again after close');

  const done = await h.lifecycle.review(erin, created.id, REVIEW);
  t.equal(done.status, 'completed');
  t.equal(done.review?.reviewer, PEOPLE.reviewer);

  const projected = await h.requests.get(h.pool, created.id);
  t.equal(projected?.status, 'completed', 'read model caught up');
  t.same(
    projected?.timeline.map((entry) => entry.action),
    [
      'request.created',
      'request.approved',
      'request.approved',
      'credential.released',
      'credential.revealed',
      'session.closed',
      'review.completed',
    ],
    'timeline tells the whole story in order',
  );
  const alerts = await eventually('all alerts', () => {
    const types = h.sink.types(created.id);
    return types.length >= 7 && types;
  });
  t.same(
    [...alerts].sort(),
    [
      'credential.released',
      'credential.revealed',
      'request.approved',
      'request.approved',
      'request.created',
      'review.completed',
      'session.closed',
    ].sort(),
  );
  t.equal(h.sink.of(created.id).find((alert) => alert.type === 'credential.released')?.severity, 'critical');
  const result = await h.temporal.workflow.getHandle(created.id).result();
  t.equal(result.status, 'completed', 'workflow finished only after the review');
  await recordHistory(h.temporal, created.id, 'completed');
});

void t.test('denied: one deny ends the request and the secret stays sealed', async (t) => {
  const { account } = await h.createAccount();
  const created = await h.lifecycle.create(alice, { accountId: account.id, ...ask, scenario: 'drill' });
  await h.lifecycle.decide(bob, created.id, 'approve', null);
  const denied = await h.lifecycle.decide(carol, created.id, 'deny', 'not a real outage');
  t.equal(denied.status, 'denied');
  t.same(
    denied.approvals.map((a) => [a.approver, a.decision]),
    [
      [PEOPLE.approver1, 'approve'],
      [PEOPLE.approver2, 'deny'],
    ],
  );
  t.ok(await sealed(account.secretName), 'never unsealed');
  await eventually('denied alert', () => h.sink.types(created.id).includes('request.denied'));
  t.equal((await h.temporal.workflow.getHandle(created.id).result()).status, 'denied');
  await recordHistory(h.temporal, created.id, 'denied');
  // The account is free again for a new request.
  const next = await h.lifecycle.create(alice, { accountId: account.id, ...ask });
  t.equal(next.status, 'pending_approval', 'a finished request no longer blocks the account');
  await h.lifecycle.cancel(alice, next.id, 'cleanup');
});

void t.test('expired: no decision before the approval timeout', async (t) => {
  const { account } = await h.createAccount({ policy: { approvalTimeout: 'PT3S' } });
  const created = await h.lifecycle.create(alice, { accountId: account.id, ...ask });
  await h.lifecycle.decide(bob, created.id, 'approve', null);
  const result = await h.temporal.workflow.getHandle(created.id).result();
  t.equal(result.status, 'expired');
  t.ok(await sealed(account.secretName));
  await eventually('expired alert', () => h.sink.types(created.id).includes('request.expired'));
  const projected = await h.requests.get(h.pool, created.id);
  t.equal(projected?.status, 'expired');
  await recordHistory(h.temporal, created.id, 'expired');
});

void t.test('cancelled by the requester, and by an admin', async (t) => {
  const { account } = await h.createAccount();
  const first = await h.lifecycle.create(alice, { accountId: account.id, ...ask });
  const cancelled = await h.lifecycle.cancel(alice, first.id, 'lockout resolved itself');
  t.equal(cancelled.status, 'cancelled');
  t.equal(cancelled.cancelReason, 'lockout resolved itself');
  const second = await h.lifecycle.create(alice, { accountId: account.id, ...ask });
  const byAdmin = await h.lifecycle.cancel(admin, second.id, null);
  t.equal(byAdmin.status, 'cancelled');
  t.equal(byAdmin.cancelledBy, PEOPLE.admin);
  await eventually(
    'cancelled alerts',
    () => h.sink.types(first.id).includes('request.cancelled') && h.sink.types(second.id).includes('request.cancelled'),
  );
  t.ok(await sealed(account.secretName));
  await h.temporal.workflow.getHandle(second.id).result();
  await recordHistory(h.temporal, second.id, 'cancelled-by-admin');
});

void t.test('closed by the end of the release window: re-sealed on its own, review still demanded', async (t) => {
  const { account } = await h.createAccount({ policy: { releaseWindow: 'PT4S', reviewDue: 'PT1H' } });
  const created = await h.lifecycle.create(alice, { accountId: account.id, ...ask });
  await h.lifecycle.decide(bob, created.id, 'approve', null);
  const released = await h.lifecycle.decide(carol, created.id, 'approve', null);
  t.equal(released.status, 'released');
  const closed = await eventually('window end', async () => {
    const view = await h.requests.get(h.pool, created.id);
    return view?.status === 'awaiting_review' && view;
  });
  t.equal(closed.closedBy, 'system');
  const lateBy = Date.parse(closed.closedAt!) - Date.parse(released.releaseExpiresAt!);
  t.ok(lateBy >= 0 && lateBy < 3000, `closed on time (${lateBy} ms after the window)`);
  t.ok(await sealed(account.secretName), 're-sealed when the window ended');
  await t.rejects(
    h.lifecycle.reveal(alice, created.id),
    { name: 'RefusedError', message: /released|window/, statusCode: 409 } as unknown as Error,
    'no reveal after the window',
  );
  const done = await h.lifecycle.review(erin, created.id, REVIEW);
  t.equal(done.status, 'completed');
  await h.temporal.workflow.getHandle(created.id).result();
  await recordHistory(h.temporal, created.id, 'closed-by-window-end');
});

void t.test('review overdue: reminders repeat until the review is recorded', async (t) => {
  const { account } = await h.createAccount({
    policy: { releaseWindow: 'PT1H', reviewDue: 'PT2S', reviewReminder: 'PT2S' },
  });
  const created = await h.lifecycle.create(alice, { accountId: account.id, ...ask });
  await h.lifecycle.decide(bob, created.id, 'approve', null);
  await h.lifecycle.decide(carol, created.id, 'approve', null);
  await h.lifecycle.close(alice, created.id, 'done');
  await eventually(
    'two overdue reminders',
    () => h.sink.types(created.id).filter((type) => type === 'review.overdue').length >= 2,
    20_000,
  );
  // Alerts go out beside the audit write, so the read model may trail the sink by a moment.
  const view = await eventually(
    'two reminders on the timeline',
    async () => {
      const current = await h.requests.get(h.pool, created.id);
      return (current?.timeline.filter((entry) => entry.action === 'review.overdue').length ?? 0) >= 2
        ? current!
        : undefined;
    },
    10_000,
  );
  t.equal(view.status, 'awaiting_review', 'still waiting for the review');
  const audited = await h.audit.list(h.pool, { requestId: created.id, limit: 100 });
  t.ok(
    audited.filter((event) => event.action === 'review.overdue').length >= 2,
    'each reminder is on the timeline and audited',
  );
  const done = await h.lifecycle.review(erin, created.id, REVIEW);
  t.equal(done.status, 'completed');
  const countAtEnd = h.sink.types(created.id).filter((type) => type === 'review.overdue').length;
  await new Promise((resolve) => setTimeout(resolve, 3000));
  t.equal(
    h.sink.types(created.id).filter((type) => type === 'review.overdue').length,
    countAtEnd,
    'reminders stop after the review',
  );
  await h.temporal.workflow.getHandle(created.id).result();
  await recordHistory(h.temporal, created.id, 'review-overdue-then-completed');
});
