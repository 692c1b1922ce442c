import t from 'tap';
import { initialView } from '../../src/domain/initial-view';
import type { RequestView } from '../../src/domain/request';
import { setupHarness, FAST_POLICY, type Harness } from '../helpers/harness';
import { AccountBusyError } from '../../src/db/requests-repository';

let h: Harness;
t.before(async () => {
  h = await setupHarness(t, { worker: false });
});

function viewFor(accountId: string, id: string): RequestView {
  return initialView({
    requestId: id,
    accountId,
    secretName: 'unused',
    requester: 'alice',
    scenario: 'drill',
    justification: 'projection test',
    incidentRef: null,
    createdAt: new Date().toISOString(),
    policy: FAST_POLICY,
    membership: { requesters: ['alice'], approvers: ['bob', 'carol'], reviewers: ['erin'] },
  });
}

void t.test('out-of-order and repeated projections never move a request backwards', async (t) => {
  const { account } = await h.createAccount();
  const v0 = viewFor(account.id, `proj-${h.id}-1`);
  await h.requests.insertPending(h.pool, v0);
  const released: RequestView = { ...v0, status: 'released', version: 3 };
  const approvedOnce: RequestView = {
    ...v0,
    approvals: [{ approver: 'bob', decision: 'approve', comment: null, at: v0.createdAt }],
    version: 2,
  };
  t.equal(await h.requests.project(h.pool, released), true, 'a newer version is applied');
  t.equal(await h.requests.project(h.pool, approvedOnce), false, 'an older version arriving late is ignored');
  t.equal(await h.requests.project(h.pool, released), false, 'a repeated write is a no-op');
  const stored = await h.requests.get(h.pool, v0.id);
  t.equal(stored?.status, 'released');
  t.equal(stored?.version, 3);
});

void t.test('one open request per account, enforced by the database', async (t) => {
  const { account } = await h.createAccount();
  await h.requests.insertPending(h.pool, viewFor(account.id, `proj-${h.id}-2`));
  await t.rejects(h.requests.insertPending(h.pool, viewFor(account.id, `proj-${h.id}-3`)), AccountBusyError);
  const results = await Promise.allSettled(
    Array.from({ length: 5 }, (_, i) =>
      h.createAccount().then(async ({ account: other }) => {
        const attempts = await Promise.allSettled(
          [0, 1, 2].map((j) => h.requests.insertPending(h.pool, viewFor(other.id, `proj-${h.id}-c${i}-${j}`))),
        );
        return attempts.filter((attempt) => attempt.status === 'fulfilled').length;
      }),
    ),
  );
  t.same(
    results.map((r) => (r.status === 'fulfilled' ? r.value : -1)),
    [1, 1, 1, 1, 1],
    'concurrent creates for one account: exactly one wins',
  );
});
