import t from 'tap';
import { PEOPLE } from '../helpers/harness';
import { eventually } from '../helpers/wait';
import { setupWatch, type WatchWorld } from '../helpers/watch-world';
import { recordHistory, WATCH_HISTORIES_DIR } from '../helpers/histories';

const ADMIN = ['BreakGlass.Admin'];
let w: WatchWorld;
t.before(async () => {
  w = await setupWatch(t, { api: true });
});

void t.test(
  'an unexplained sign-in case: reminders while open, closed only by a reviewer with an explanation',
  async (t) => {
    const api = w.api!;
    const { account, userId } = await w.watchedAccount({ policy: { reviewDue: 'PT2S', reviewReminder: 'PT2S' } });
    const signIn = w.standin.injectSignIn({ userId, ipAddress: '203.0.113.99' });
    await w.runWatch();
    const caseId = `case-${String(signIn.id)}`;
    const opened = await eventually('case listed', async () => {
      const res = await api.call('GET', `/v1/cases?accountId=${account.id}`, { as: PEOPLE.reviewer });
      return res.body.items?.length === 1 && res.body.items[0];
    });
    t.equal(opened.caseId, caseId);
    t.equal(opened.status, 'open');

    const reminders = await eventually(
      'two overdue reminders',
      () => {
        const found = w.h.sink.of(caseId).filter((a) => a.type === 'review.overdue');
        return found.length >= 2 && found;
      },
      20_000,
    );
    t.match(reminders[0]?.summary, /unexplained sign-in case .* is overdue \(reminder 1\)/);

    t.equal(
      (await api.call('GET', `/v1/cases/${caseId}`, { as: PEOPLE.stranger })).status,
      404,
      'invisible to a stranger',
    );
    const byRequester = await api.call('POST', `/v1/cases/${caseId}/close`, {
      as: PEOPLE.requester,
      body: { explanation: 'it was me, testing the account' },
    });
    t.equal(byRequester.status, 403, 'a requester of the account may not explain it away');
    const byAdmin = await api.call('POST', `/v1/cases/${caseId}/close`, {
      as: PEOPLE.admin,
      roles: ADMIN,
      body: { explanation: 'admin says it is fine' },
    });
    t.equal(byAdmin.status, 403, 'nor may an admin who is not a reviewer');
    t.equal(
      (await api.call('POST', `/v1/cases/${caseId}/close`, { as: PEOPLE.reviewer, body: {} })).status,
      400,
      'an explanation is required',
    );
    t.equal(
      (await api.call('POST', `/v1/cases/${caseId}/close`, { as: PEOPLE.reviewer, body: { explanation: 'ok' } }))
        .status,
      409,
      'a real explanation is required',
    );

    const closed = await api.call('POST', `/v1/cases/${caseId}/close`, {
      as: PEOPLE.reviewer,
      body: { explanation: 'Vendor engineer signed in during INC-42 without a request; credential rotated.' },
    });
    t.equal(closed.status, 200, closed.text);
    t.equal(closed.body.status, 'closed');
    t.equal(closed.body.closedBy, PEOPLE.reviewer);
    t.match(closed.body.explanation, /Vendor engineer/);
    t.equal(
      (
        await api.call('POST', `/v1/cases/${caseId}/close`, {
          as: PEOPLE.reviewer,
          body: { explanation: 'closing it a second time' },
        })
      ).status,
      409,
      'closed once',
    );

    const result = await w.h.temporal.workflow.getHandle(caseId).result();
    t.equal(result.status, 'closed', 'the case workflow finished');
    await recordHistory(w.h.temporal, caseId, 'signin-case-closed-after-reminders', undefined, WATCH_HISTORIES_DIR);
    const count = w.h.sink.of(caseId).filter((a) => a.type === 'review.overdue').length;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    t.equal(
      w.h.sink.of(caseId).filter((a) => a.type === 'review.overdue').length,
      count,
      'no reminder after the close',
    );
    const audit = (
      await w.h.pool.query<{ action: string; actor: string }>(
        "SELECT action, actor FROM audit_events WHERE details->>'caseId' = $1 ORDER BY seq",
        [caseId],
      )
    ).rows;
    t.same(
      audit.filter((a) => a.action === 'case.close.refused').map((a) => a.actor),
      [PEOPLE.requester, PEOPLE.admin, PEOPLE.reviewer, PEOPLE.reviewer],
      'every refusal audited',
    );
    t.same(
      audit
        .filter((a) => a.action !== 'case.close.refused')
        .map((a) => a.action)
        .filter((a, i, all) => all.indexOf(a) === i),
      ['case.opened', 'case.overdue', 'case.closed'],
    );
    t.equal(
      w.h.sink.of(caseId).filter((a) => a.type === 'signin.unexpected').length,
      1,
      'one critical alert for the case',
    );
  },
);

void t.test('the request shows the sign-ins inside its window; strangers get 404', async (t) => {
  const api = w.api!;
  const { account, userId } = await w.watchedAccount({ policy: { releaseWindow: 'PT1M' } });
  const created = await api.call('POST', '/v1/requests', {
    as: PEOPLE.requester,
    body: { accountId: account.id, scenario: 'mfa_outage', justification: 'MFA provider down for every admin' },
  });
  t.equal(created.status, 201, created.text);
  await api.call('POST', `/v1/requests/${created.body.id}/approvals`, {
    as: PEOPLE.approver1,
    body: { decision: 'approve' },
  });
  const released = await api.call('POST', `/v1/requests/${created.body.id}/approvals`, {
    as: PEOPLE.approver2,
    body: { decision: 'approve' },
  });
  t.equal(released.body.status, 'released');
  const signIn = w.standin.injectSignIn({ userId });
  await w.runWatch();
  const res = await api.call('GET', `/v1/requests/${created.body.id}/signins`, { as: PEOPLE.reviewer });
  t.equal(res.status, 200, res.text);
  t.same(
    res.body.items.map((o: any) => o.signInId),
    [signIn.id],
  );
  t.match(res.body.items[0].details, { result: 'success', app: 'Azure Portal', conditionalAccessStatus: 'notApplied' });
  t.equal((await api.call('GET', `/v1/requests/${created.body.id}/signins`, { as: PEOPLE.stranger })).status, 404);
  const readiness = await api.call('GET', `/v1/accounts/${account.id}/readiness`, { as: PEOPLE.reviewer });
  t.equal(readiness.status, 200, readiness.text);
  t.equal(readiness.body.lastSignIn?.signInId, signIn.id, 'readiness shows the last sign-in');
  await api.call('POST', `/v1/requests/${created.body.id}/close`, { as: PEOPLE.requester, body: { summary: 'done' } });
});
