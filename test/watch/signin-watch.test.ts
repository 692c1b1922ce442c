import { randomUUID } from 'node:crypto';
import t from 'tap';
import { initialView } from '../../src/domain/initial-view';
import { FAST_POLICY, PEOPLE } from '../helpers/harness';
import { eventually } from '../helpers/wait';
import { setupWatch, type WatchWorld } from '../helpers/watch-world';
import { recordHistory, WATCH_HISTORIES_DIR } from '../helpers/histories';

const alice = { id: PEOPLE.requester, isAdmin: false };
const bob = { id: PEOPLE.approver1, isAdmin: false };
const carol = { id: PEOPLE.approver2, isAdmin: false };
const ask = {
  scenario: 'conditional_access_lockout' as const,
  justification: 'CA policy locked out all admins',
  incidentRef: 'INC-7',
};
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

let w: WatchWorld;
t.before(async () => {
  w = await setupWatch(t);
});

const auditOf = async (action: string, accountId: string) =>
  (
    await w.h.pool.query<{ request_id: string | null; details: any }>(
      'SELECT request_id, details FROM audit_events WHERE action = $1 AND account_id = $2 ORDER BY seq',
      [action, accountId],
    )
  ).rows;

void t.test(
  'a sign-in inside the release window lands on that request: observation, audit trail and alert',
  async (t) => {
    const { account, userId } = await w.watchedAccount({ policy: { releaseWindow: 'PT2M' } });
    const created = await w.h.lifecycle.create(alice, { accountId: account.id, ...ask });
    await w.h.lifecycle.decide(bob, created.id, 'approve', null);
    const released = await w.h.lifecycle.decide(carol, created.id, 'approve', null);
    t.equal(released.status, 'released');
    const signIn = w.standin.injectSignIn({ userId, ipAddress: '198.51.100.7' });

    const run = await w.runWatch();
    t.ok(run.ok, 'the run read Graph');
    const observed = await w.watch.forRequest(w.h.pool, created.id);
    t.equal(observed.length, 1, 'one sign-in on the request');
    t.equal(observed[0]?.signInId, signIn.id);
    t.match(observed[0]?.details, {
      ipAddress: '198.51.100.7',
      app: 'Azure Portal',
      result: 'success',
      conditionalAccessStatus: 'notApplied',
      authenticationMethods: ['FIDO2 security key'],
      location: 'Redmond, Washington, US',
    });
    const audited = await auditOf('signin.observed', account.id);
    t.equal(audited.length, 1, 'audited once');
    t.equal(audited[0]?.request_id, created.id, 'audit row names the request');
    const alert = await eventually('signin.observed alert', () =>
      w.h.sink.of(created.id).find((a) => a.type === 'signin.observed'),
    );
    t.equal(alert.severity, 'info');
    t.equal((await w.cases.list(w.h.pool, { accountId: account.id })).length, 0, 'no case for an approved use');
    await w.h.lifecycle.close(alice, created.id, 'done');
  },
);

void t.test('a sign-in that appears 5 minutes late still lands on its request', async (t) => {
  const { account, userId } = await w.watchedAccount();
  // A use whose window closed four minutes ago: released 8 minutes ago, closed 4 minutes ago (the read model is what the watch reads).
  const requestId = randomUUID();
  const past = initialView({
    requestId,
    accountId: account.id,
    secretName: account.secretName,
    requester: alice.id,
    ...ask,
    createdAt: ago(9 * 60_000),
    policy: FAST_POLICY,
    membership: account,
  });
  await w.h.requests.project(w.h.pool, {
    ...past,
    status: 'completed',
    releasedAt: ago(8 * 60_000),
    releaseExpiresAt: ago(5 * 60_000),
    closedAt: ago(4 * 60_000),
    version: 7,
  });
  t.ok((await w.runWatch()).ok, 'the watch ran before the sign-in reached the log');
  t.same(await w.watch.forRequest(w.h.pool, requestId), [], 'nothing yet');

  const late = w.standin.injectSignIn({ userId, createdDateTime: ago(5 * 60_000) });
  await w.runWatch();
  const observed = await w.watch.forRequest(w.h.pool, requestId);
  t.same(
    observed.map((o) => o.signInId),
    [late.id],
    'the late sign-in is on the request it belongs to',
  );
  t.equal((await auditOf('signin.unexpected', account.id)).length, 0, 'and is not mistaken for an unexpected one');
});

void t.test(
  'a sign-in outside every window: exactly one critical alert and one case, however many runs see it',
  async (t) => {
    const { account, userId } = await w.watchedAccount();
    const signIn = w.standin.injectSignIn({ userId, createdDateTime: ago(60_000) });
    for (let i = 0; i < 3; i += 1) await w.runWatch();
    const caseId = `case-${String(signIn.id)}`;
    const alert = await eventually('signin.unexpected alert', () =>
      w.h.sink.of(caseId).find((a) => a.type === 'signin.unexpected'),
    );
    t.equal(alert.severity, 'critical');
    t.equal(alert.accountId, account.id);
    await w.runWatch();
    const cases = await eventually('case row', async () => {
      const list = await w.cases.list(w.h.pool, { accountId: account.id });
      return list.length > 0 && list;
    });
    t.equal(cases.length, 1, 'one case');
    t.equal(cases[0]?.status, 'open');
    t.equal(
      w.h.sink.received.filter((a) => a.type === 'signin.unexpected' && a.accountId === account.id).length,
      1,
      'one alert after four runs',
    );
    t.equal((await auditOf('signin.unexpected', account.id)).length, 1, 'one audit row');
    await w.h.temporal.workflow.getHandle(caseId).terminate('test done');
  },
);

void t.test('a failed sign-in outside every window is alerted (somebody is trying) without a case', async (t) => {
  const { account, userId } = await w.watchedAccount();
  w.standin.injectSignIn({ userId, errorCode: 50126, ipAddress: '192.0.2.66' });
  await w.runWatch();
  await w.runWatch();
  const alerts = await eventually('failed sign-in alert', () => {
    const found = w.h.sink.received.filter((a) => a.type === 'signin.unexpected' && a.accountId === account.id);
    return found.length > 0 && found;
  });
  t.equal(alerts.length, 1, 'alerted once');
  t.match(alerts[0]?.summary, /failed sign-in \(50126\).*192\.0\.2\.66.*somebody is trying/);
  t.equal(alerts[0]?.severity, 'critical');
  t.equal((await w.cases.list(w.h.pool, { accountId: account.id })).length, 0, 'no case for a failed attempt');
});

void t.test('duplicates, out-of-order arrival and paging: every sign-in once', async (t) => {
  const { account, userId } = await w.watchedAccount({ policy: { releaseWindow: 'PT2M' } });
  const created = await w.h.lifecycle.create(alice, { accountId: account.id, ...ask });
  await w.h.lifecycle.decide(bob, created.id, 'approve', null);
  const releasedMs = Date.parse((await w.h.lifecycle.decide(carol, created.id, 'approve', null)).releasedAt!);
  w.standin.pageSize = 2;
  t.teardown(() => void (w.standin.pageSize = 100));
  const first = w.standin.injectSignIn({ userId });
  w.standin.injectSignIn({ userId, id: String(first.id) }); // the log repeats an entry
  await w.runWatch();
  // Later runs find older entries (out of order) on several pages, next to ones already seen.
  const at = (ms: number) => new Date(releasedMs + ms).toISOString();
  const older = [
    w.standin.injectSignIn({ userId, createdDateTime: at(2) }),
    w.standin.injectSignIn({ userId, createdDateTime: at(1) }),
  ];
  const newest = w.standin.injectSignIn({ userId });
  const before = w.standin.requests.length;
  await w.runWatch();
  t.ok(
    w.standin.requests.slice(before).some((path) => path.includes('%24skiptoken') || path.includes('$skiptoken')),
    'the run followed @odata.nextLink',
  );
  await w.runWatch();
  const observed = await w.watch.forRequest(w.h.pool, created.id);
  t.same(
    new Set(observed.map((o) => o.signInId)),
    new Set([first.id, ...older.map((s) => s.id), newest.id]),
    'four distinct sign-ins, each once',
  );
  t.equal((await auditOf('signin.observed', account.id)).length, 4, 'four audit rows');
  await w.h.lifecycle.close(alice, created.id, 'done');
});

void t.test('throttled with Retry-After: the run waits and reads everything', async (t) => {
  const { account, userId } = await w.watchedAccount();
  const signIn = w.standin.injectSignIn({ userId, errorCode: 50126 });
  w.standin.throttle(2, 1);
  const started = Date.now();
  const run = await w.runWatch();
  t.ok(run.ok, 'the run succeeded after the throttling');
  t.ok(Date.now() - started >= 2_000, 'it waited Retry-After twice');
  t.equal(
    (
      await w.h.pool.query('SELECT 1 FROM signin_observations WHERE signin_id = $1 AND account_id = $2', [
        signIn.id,
        account.id,
      ])
    ).rowCount,
    1,
  );
});

void t.test('Graph down for N runs then up: degraded once, recovered once, nothing missed', async (t) => {
  const { account, userId } = await w.watchedAccount();
  t.ok((await w.runWatch()).ok);
  await w.standin.stop();
  const during = w.standin.injectSignIn({ userId, createdDateTime: ago(0) });
  const runs = [await w.runWatch(), await w.runWatch(), await w.runWatch()];
  t.same(
    runs.map((r) => r.ok),
    [false, false, false],
    'runs fail while Graph is down',
  );
  t.same(
    runs.map((r) => r.transition),
    [null, 'degraded', null],
    'degraded after the configured two failed runs, once',
  );
  await w.standin.start();
  const back = await w.runWatch({}, `signin-run-${w.h.id}-recovered`);
  t.equal(back.transition, 'recovered');
  await recordHistory(
    w.h.temporal,
    `signin-run-${w.h.id}-recovered`,
    'signin-watch-recovered-with-case',
    undefined,
    WATCH_HISTORIES_DIR,
  );
  const types = () => w.h.sink.received.filter((a) => a.type.startsWith('monitoring.')).map((a) => a.type);
  await eventually('monitoring alerts', () => types().length >= 2);
  t.same(types(), ['monitoring.degraded', 'monitoring.recovered']);
  t.equal(w.h.sink.received.find((a) => a.type === 'monitoring.degraded')?.severity, 'critical');
  const caseId = `case-${String(during.id)}`;
  await eventually('the sign-in made during the outage is found', () =>
    w.h.sink.of(caseId).find((a) => a.type === 'signin.unexpected' && a.accountId === account.id),
  );
  await w.h.temporal.workflow.getHandle(caseId).terminate('test done');
});
