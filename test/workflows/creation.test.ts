import { randomUUID } from 'node:crypto';
import t from 'tap';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { WORKFLOW_TYPE } from '../../src/domain/lifecycle';
import { creationUpdate } from '../../src/domain/messages';
import type { breakglassLifecycle } from '../../workflows/lifecycle';
import { recordHistory } from '../helpers/histories';
import { PEOPLE, setupHarness, type Harness } from '../helpers/harness';

/**
 * The workflow writes the request's first row itself. One open request per account holds
 * under concurrent creates: every other creation is refused, audited, and leaves nothing.
 */

let h: Harness;
t.before(async () => {
  h = await setupHarness(t);
});

const who = (id: string) => ({ id, isAdmin: false });

void t.test('concurrent creates for one account: one request, every other refused and audited', async (t) => {
  const { account } = await h.createAccount();
  const attempts = await Promise.allSettled(
    Array.from({ length: 5 }, (_, i) =>
      h.lifecycle.create(who(PEOPLE.requester), {
        accountId: account.id,
        scenario: 'other',
        justification: `attempt ${i}`,
        incidentRef: null,
      }),
    ),
  );
  const created = attempts.filter((attempt) => attempt.status === 'fulfilled');
  t.equal(created.length, 1, 'exactly one request is created');
  for (const refused of attempts.filter((attempt) => attempt.status === 'rejected')) {
    t.match((refused as PromiseRejectedResult).reason, {
      statusCode: 409,
      message: /already has a request that is pending_approval or released/,
    });
  }
  const { rows } = await h.pool.query<{ id: string }>('SELECT id FROM requests WHERE account_id = $1', [account.id]);
  t.equal(rows.length, 1, 'one row in the read model');
  const audited = await h.pool.query<{ action: string }>(
    `SELECT action FROM audit_events WHERE account_id = $1 AND action LIKE 'request.create%'`,
    [account.id],
  );
  t.equal(audited.rows.filter((row) => row.action === 'request.create.refused').length, 4, 'each refusal is audited');
  t.equal((await h.audit.verify(h.pool)).ok, true);
});

void t.test('a refused creation records nothing and says why', async (t) => {
  const { account } = await h.createAccount();
  const open = await h.lifecycle.create(who(PEOPLE.requester), {
    accountId: account.id,
    scenario: 'other',
    justification: 'first',
    incidentRef: null,
  });
  const requestId = randomUUID();
  const input = {
    requestId,
    accountId: account.id,
    secretName: account.secretName,
    requester: PEOPLE.requester,
    scenario: 'other' as const,
    justification: 'second',
    incidentRef: null,
    createdAt: new Date().toISOString(),
    policy: account.policy,
    membership: { requesters: account.requesters, approvers: account.approvers, reviewers: account.reviewers },
  };
  const error = await h.temporal.workflow
    .executeUpdateWithStart(creationUpdate, {
      args: [],
      startWorkflowOperation: new WithStartWorkflowOperation<typeof breakglassLifecycle>(WORKFLOW_TYPE, {
        workflowId: requestId,
        taskQueue: h.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    })
    .then(
      () => null,
      (e: unknown) => e,
    );
  t.ok(error instanceof WorkflowUpdateFailedError, 'the creation update fails');
  t.match(
    (error as WorkflowUpdateFailedError).cause,
    { type: 'AccountBusy', message: new RegExp(open.id) },
    'naming the open request',
  );
  await t.rejects(h.temporal.workflow.getHandle(requestId).result(), 'the workflow ends as refused');
  t.equal(await h.requests.get(h.pool, requestId), null, 'no row');
  const { rows } = await h.pool.query('SELECT 1 FROM audit_events WHERE request_id = $1', [requestId]);
  t.equal(rows.length, 0, 'nothing in the audit trail under its id');
  t.equal(h.sink.of(requestId).length, 0, 'no alert announces it');
  await recordHistory(h.temporal, requestId, 'creation-refused-account-busy');
});
