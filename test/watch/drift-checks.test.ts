import { randomUUID } from 'node:crypto';
import t from 'tap';
import type { StandinUser } from '../../devstack/graph-standin/server';
import { PEOPLE } from '../helpers/harness';
import { eventually } from '../helpers/wait';
import { setupWatch, type WatchWorld } from '../helpers/watch-world';

const ADMIN = ['BreakGlass.Admin'];
let w: WatchWorld;
t.before(async () => {
  w = await setupWatch(t, { api: true });
});

const check = (accountId: string) =>
  w.api!.call('POST', `/v1/accounts/${accountId}/checks`, { as: PEOPLE.admin, roles: ADMIN });
const driftAlerts = (accountId: string) =>
  w.h.sink.received.filter((a) => a.type === 'account.drift' && a.accountId === accountId);

void t.test('a healthy account passes every check and is ready', async (t) => {
  const { account } = await w.h.createAccount();
  const userId = randomUUID();
  w.standin.addUser(userId, account.upn);
  t.equal((await check(account.id)).status, 409, 'no checks before the account names its Entra user');
  const bad = await w.api!.call('PATCH', `/v1/accounts/${account.id}`, {
    as: PEOPLE.admin,
    roles: ADMIN,
    body: { entraObjectId: 'not-a-guid' },
  });
  t.equal(bad.status, 400);
  const patched = await w.api!.call('PATCH', `/v1/accounts/${account.id}`, {
    as: PEOPLE.admin,
    roles: ADMIN,
    body: { entraObjectId: userId, watch: { conditionalAccess: 'excluded' } },
  });
  t.equal(patched.status, 200, patched.text);
  t.equal(patched.body.entraObjectId, userId);
  t.same(patched.body.watch, { conditionalAccess: 'excluded', drillInterval: 'P90D' }, 'defaults filled in');
  const res = await check(account.id);
  t.equal(res.status, 200, res.text);
  t.same(
    res.body.checks.map((c: any) => [c.name, c.passed]),
    [
      ['user_enabled', true],
      ['cloud_only', true],
      ['global_admin_active', true],
      ['phishing_resistant_method', true],
      ['conditional_access', true],
    ],
  );
  t.match(res.body.checks[4].detail, /excluded from all 2 enabled policies/, 'the exclusion through a group counts');
  const ready = await w.api!.call('GET', `/v1/accounts/${account.id}/readiness`, { as: PEOPLE.admin, roles: ADMIN });
  t.equal(ready.body.ready, true);
  t.equal(ready.body.checks.length, 5);
  t.equal(
    (await w.api!.call('POST', `/v1/accounts/${account.id}/checks`, { as: PEOPLE.reviewer })).status,
    403,
    'on-demand checks are for admins',
  );
});

const BREAKS: Array<{ name: string; breakIt(user: StandinUser, userId: string): () => void; detail: RegExp }> = [
  {
    name: 'user_enabled',
    breakIt: (u) => ((u.user.accountEnabled = false), () => void (u.user.accountEnabled = true)),
    detail: /disabled/,
  },
  {
    name: 'cloud_only',
    breakIt: (u) => ((u.user.onPremisesSyncEnabled = true), () => void (u.user.onPremisesSyncEnabled = null)),
    detail: /synchronised from on-premises/,
  },
  {
    name: 'global_admin_active',
    breakIt: (u) => {
      const active = u.roleAssignments.splice(0);
      u.roleEligibilitySchedules.push(
        ...active.map((a) => ({ ...a, id: `elig-${String(a.id)}`, status: 'Provisioned' })),
      );
      return () => {
        u.roleEligibilitySchedules.splice(0);
        u.roleAssignments.push(...active);
      };
    },
    detail: /only eligible/,
  },
  {
    name: 'phishing_resistant_method',
    breakIt: (u) => {
      const all = u.authenticationMethods.splice(0);
      u.authenticationMethods.push(...all.filter((m) => !String(m['@odata.type']).includes('fido2')));
      return () => u.authenticationMethods.splice(0, u.authenticationMethods.length, ...all);
    },
    detail: /no FIDO2 or certificate/,
  },
];

for (const item of BREAKS) {
  void t.test(`${item.name} failing alone: alerted once, recovery recorded`, async (t) => {
    const { account, userId } = await w.watchedAccount();
    t.equal((await check(account.id)).status, 200);
    const restore = item.breakIt(w.standin.users.get(userId)!, userId);
    const failed = await check(account.id);
    t.same(
      failed.body.checks.filter((c: any) => !c.passed).map((c: any) => c.name),
      [item.name],
      'only this check fails',
    );
    t.match(failed.body.checks.find((c: any) => c.name === item.name).detail, item.detail);
    t.same(failed.body.newlyFailed, [item.name]);
    const again = await check(account.id);
    t.same(again.body.newlyFailed, [], 'a second failing run is not new');
    const alerts = await eventually(
      'account.drift',
      () => driftAlerts(account.id).length > 0 && driftAlerts(account.id),
    );
    t.equal(alerts.length, 1, 'one alert for two failing runs');
    t.match(alerts[0]?.summary, new RegExp(`${item.name} failed.*run a drill`), 'the alert recommends a drill');
    restore();
    const back = await check(account.id);
    t.same(back.body.recovered, [item.name]);
    const audit = (
      await w.h.pool.query<{ action: string }>(
        "SELECT action FROM audit_events WHERE account_id = $1 AND action LIKE 'account.drift%' ORDER BY seq",
        [account.id],
      )
    ).rows;
    t.same(
      audit.map((a) => a.action),
      ['account.drift', 'account.drift_recovered'],
    );
    t.equal(driftAlerts(account.id).length, 1, 'recovery is recorded, not re-alerted as drift');
  });
}

void t.test('conditional_access failing alone: a new enabled policy that does not exclude the account', async (t) => {
  const { account } = await w.watchedAccount();
  t.equal((await check(account.id)).status, 200);
  w.standin.policies.push({
    id: 'new-policy',
    displayName: 'Require compliant device',
    state: 'enabled',
    conditions: { users: { includeUsers: ['All'], excludeUsers: [], includeGroups: [], excludeGroups: [] } },
  });
  const failed = await check(account.id);
  t.same(
    failed.body.checks.filter((c: any) => !c.passed).map((c: any) => c.name),
    ['conditional_access'],
  );
  t.match(failed.body.checks[4].detail, /not excluded from Require compliant device/);
  t.same((await check(account.id)).body.newlyFailed, []);
  w.standin.policies.pop();
  t.same((await check(account.id)).body.recovered, ['conditional_access']);
  await eventually('one drift alert', () => driftAlerts(account.id).length === 1);
  t.equal(driftAlerts(account.id).length, 1);
});

void t.test('the deliberately restricted account passes when a policy targets it', async (t) => {
  const { account } = await w.watchedAccount();
  await w.h.accounts.update(w.h.pool, account.id, {
    watch: { conditionalAccess: 'restricted', drillInterval: 'P90D' },
  });
  const first = await check(account.id);
  t.equal(first.body.checks[4].passed, false, 'excluded from everything is wrong for the restricted account');
  w.standin.policies.push({
    id: `restrict-${account.id}`,
    displayName: 'Phishing-resistant MFA for break-glass 2',
    state: 'enabled',
    conditions: { users: { includeUsers: [account.entraObjectId], excludeUsers: [] } },
  });
  t.teardown(() => void w.standin.policies.pop());
  const second = await check(account.id);
  t.equal(second.body.checks[4].passed, true);
  t.match(second.body.checks[4].detail, /deliberately restricted by Phishing-resistant MFA/);
});

void t.test('Graph unreachable: the on-demand check answers 503 naming Graph', async (t) => {
  const { account } = await w.watchedAccount();
  await w.standin.stop();
  t.teardown(() => w.standin.start());
  const res = await check(account.id);
  t.equal(res.status, 503);
  t.match(res.body.detail, /Microsoft Graph/);
});
