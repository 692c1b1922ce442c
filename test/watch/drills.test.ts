import t from 'tap';
import { DRILL_CSV_COLUMNS } from '../../src/watch/drills';
import { PEOPLE } from '../helpers/harness';
import { eventually } from '../helpers/wait';
import { setupWatch, type WatchWorld } from '../helpers/watch-world';

const AUDITOR = ['BreakGlass.Auditor'];
const REVIEW = {
  actionsAppropriate: true,
  signInLogsReviewed: true,
  credentialRotated: true,
  findings: 'drill: sign-in worked, nothing else changed',
  followUpTicket: 'DRILL-1',
};
let w: WatchWorld;
t.before(async () => {
  w = await setupWatch(t, { api: true });
});

const driftCheck = (accountId: string, drillRealert: string) =>
  w.h.temporal.workflow.execute('driftCheck', {
    taskQueue: w.h.taskQueue,
    workflowId: `drift-${accountId}-${Date.now()}`,
    args: [{ accountId, drillRealert }],
  });

void t.test('a complete drill with its evidence, listed as JSON and exported as CSV', async (t) => {
  const api = w.api!;
  const { account, userId } = await w.watchedAccount({ policy: { releaseWindow: 'PT1M', reviewDue: 'PT1M' } });
  const created = await api.call('POST', '/v1/requests', {
    as: PEOPLE.requester,
    body: { accountId: account.id, scenario: 'drill', justification: 'quarterly break-glass drill' },
  });
  t.equal(created.status, 201, created.text);
  const id = created.body.id;
  await api.call('POST', `/v1/requests/${id}/approvals`, { as: PEOPLE.approver1, body: { decision: 'approve' } });
  await api.call('POST', `/v1/requests/${id}/approvals`, { as: PEOPLE.approver2, body: { decision: 'approve' } });
  t.equal((await api.call('POST', `/v1/requests/${id}/reveal`, { as: PEOPLE.requester })).status, 200);
  w.standin.injectSignIn({ userId });
  await w.runWatch();
  t.equal(
    (
      await api.call('POST', `/v1/requests/${id}/close`, {
        as: PEOPLE.requester,
        body: { summary: 'signed in, checked the portal, signed out' },
      })
    ).status,
    200,
  );
  t.equal((await api.call('POST', `/v1/requests/${id}/review`, { as: PEOPLE.reviewer, body: REVIEW })).status, 200);

  const list = await eventually('completed drill', async () => {
    const res = await api.call('GET', `/v1/accounts/${account.id}/drills`, { as: 'audit-1', roles: AUDITOR });
    return res.body.items?.[0]?.successful === true && res;
  });
  const drill = list.body.items[0];
  t.equal(drill.requestId, id);
  t.same(drill.missing, []);
  t.same([...drill.approvers].sort(), [PEOPLE.approver1, PEOPLE.approver2]);
  t.equal(drill.reviewer, PEOPLE.reviewer);
  t.ok(drill.secondsToRelease >= 0 && drill.secondsToSignIn >= 0 && drill.secondsToClose >= 0, 'timings recorded');
  t.equal(list.body.lastSuccessfulAt, drill.reviewedAt);
  const readiness = await api.call('GET', `/v1/accounts/${account.id}/readiness`, { as: PEOPLE.reviewer });
  t.equal(readiness.body.lastDrill?.requestId, id, 'readiness shows the last drill');

  const csv = await api.call('GET', `/v1/accounts/${account.id}/drills.csv`, { as: 'audit-1', roles: AUDITOR });
  t.equal(csv.status, 200);
  t.match(csv.headers.get('content-type'), /^text\/csv/);
  const [header, row] = csv.text.trim().split('\r\n');
  t.equal(header, DRILL_CSV_COLUMNS.join(','), 'the expected columns');
  t.match(row, new RegExp(`^"${id}","completed","true",""`));
  t.equal(
    (await api.call('GET', `/v1/accounts/${account.id}/drills.csv`, { as: PEOPLE.stranger })).status,
    404,
    'not for strangers',
  );
});

void t.test('a drill without an observed sign-in does not count', async (t) => {
  const api = w.api!;
  const { account } = await w.watchedAccount({ policy: { releaseWindow: 'PT1M' } });
  const created = await api.call('POST', '/v1/requests', {
    as: PEOPLE.requester,
    body: { accountId: account.id, scenario: 'drill', justification: 'drill, but nobody signs in' },
  });
  await api.call('POST', `/v1/requests/${created.body.id}/approvals`, {
    as: PEOPLE.approver1,
    body: { decision: 'approve' },
  });
  await api.call('POST', `/v1/requests/${created.body.id}/approvals`, {
    as: PEOPLE.approver2,
    body: { decision: 'approve' },
  });
  await api.call('POST', `/v1/requests/${created.body.id}/close`, {
    as: PEOPLE.requester,
    body: { summary: 'changed my mind' },
  });
  const res = await eventually('drill listed', async () => {
    const r = await api.call('GET', `/v1/accounts/${account.id}/drills`, { as: PEOPLE.reviewer });
    return r.body.items?.[0]?.closedAt && r;
  });
  t.equal(res.body.items[0].successful, false);
  t.same(res.body.items[0].missing, ['revealed', 'sign-in observed', 'reviewed']);
  t.equal(res.body.lastSuccessfulAt, null);
});

void t.test('an overdue drill is alerted, not at every run, and again after the re-alert interval', async (t) => {
  const { account } = await w.watchedAccount();
  await w.h.accounts.update(w.h.pool, account.id, { watch: { conditionalAccess: 'excluded', drillInterval: 'PT1S' } });
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const overdue = () => w.h.sink.received.filter((a) => a.type === 'drill.overdue' && a.accountId === account.id);
  await driftCheck(account.id, 'PT3S');
  await driftCheck(account.id, 'PT3S');
  t.equal(overdue().length, 1, 'raised once for two runs');
  t.match(overdue()[0]?.summary, /no successful drill yet \(interval PT1S\)/);
  await new Promise((resolve) => setTimeout(resolve, 3_100));
  await driftCheck(account.id, 'PT3S');
  t.equal(overdue().length, 2, 're-alerted after the interval');
  await w.h.accounts.update(w.h.pool, account.id, { watch: { conditionalAccess: 'excluded', drillInterval: 'P90D' } });
  await driftCheck(account.id, 'PT0S');
  t.equal(overdue().length, 2, 'not overdue within the interval');
  const audit = (
    await w.h.pool.query("SELECT 1 FROM audit_events WHERE action = 'drill.overdue' AND account_id = $1", [account.id])
  ).rowCount;
  t.equal(audit, 2, 'each reminder audited');
});
