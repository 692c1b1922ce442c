import t, { type Test } from 'tap';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { setupHarness, PEOPLE, type Harness } from '../helpers/harness';
import {
  authorizeRevealUpdate,
  cancelUpdate,
  closeUpdate,
  decideUpdate,
  reviewUpdate,
  stateQuery,
} from '../../src/domain/messages';
import type { RequestView } from '../../src/domain/request';

/**
 * The who-may-do-what table, enforced by the workflow's own validators: these calls go
 * straight to the workflow, past the API's checks, as a compromised or buggy caller would.
 */

const REVIEW = {
  actionsAppropriate: true,
  signInLogsReviewed: true,
  credentialRotated: false,
  findings: 'ok',
  followUpTicket: 'T-1',
};

let h: Harness;
t.before(async () => {
  h = await setupHarness(t);
});

async function refusedBy(
  t: Test,
  attempt: Promise<unknown>,
  type: 'Forbidden' | 'Conflict',
  pattern: RegExp,
  label: string,
) {
  try {
    await attempt;
    t.fail(`${label}: was accepted`);
  } catch (error) {
    t.ok(error instanceof WorkflowUpdateFailedError, `${label}: refused by the validator`);
    const cause = (error as WorkflowUpdateFailedError).cause as { type?: string; message?: string } | undefined;
    t.equal(cause?.type, type, `${label}: ${type}`);
    t.match(cause?.message ?? '', pattern, `${label}: says why`);
  }
}

async function pending(): Promise<{ handle: WorkflowHandle; view: RequestView; accountId: string }> {
  const { account } = await h.createAccount();
  const view = await h.lifecycle.create(
    { id: PEOPLE.requester, isAdmin: false },
    { accountId: account.id, scenario: 'mfa_outage', justification: 'MFA provider down', incidentRef: null },
  );
  return { handle: h.temporal.workflow.getHandle(view.id), view, accountId: account.id };
}

const decide = (handle: WorkflowHandle, actor: string, decision: 'approve' | 'deny' = 'approve') =>
  handle.executeUpdate(decideUpdate, { args: [{ actor, decision, comment: null }] });

void t.test('approve or deny', async (t) => {
  const { handle } = await pending();
  await refusedBy(
    t,
    decide(handle, PEOPLE.requester),
    'Forbidden',
    /requester/,
    'the requester approving their own request',
  );
  await refusedBy(t, decide(handle, PEOPLE.stranger), 'Forbidden', /approver/, 'a stranger approving');
  await refusedBy(
    t,
    decide(handle, PEOPLE.reviewer, 'deny'),
    'Forbidden',
    /approver/,
    'a reviewer who is not an approver denying',
  );
  await decide(handle, PEOPLE.approver1);
  await refusedBy(
    t,
    decide(handle, PEOPLE.approver1),
    'Conflict',
    /already decided/,
    'the same approver approving twice',
  );
  await refusedBy(
    t,
    decide(handle, PEOPLE.approver1, 'deny'),
    'Conflict',
    /already decided/,
    'an approver changing their mind',
  );
  const state = await handle.query(stateQuery);
  t.equal(state.approvals.length, 1, 'refused decisions left no trace in the state');
  await decide(handle, PEOPLE.approver2);
  await refusedBy(
    t,
    decide(handle, PEOPLE.approver3),
    'Conflict',
    /released|being released/,
    'a third approval after release',
  );
  await handle.executeUpdate(closeUpdate, { args: [{ actor: PEOPLE.requester, isAdmin: false, summary: 'x' }] });
});

void t.test('cancel', async (t) => {
  const { handle } = await pending();
  await refusedBy(
    t,
    handle.executeUpdate(cancelUpdate, { args: [{ actor: PEOPLE.approver1, isAdmin: false, reason: null }] }),
    'Forbidden',
    /requester or an admin/,
    'an approver cancelling',
  );
  await refusedBy(
    t,
    handle.executeUpdate(cancelUpdate, { args: [{ actor: PEOPLE.stranger, isAdmin: false, reason: null }] }),
    'Forbidden',
    /requester or an admin/,
    'a stranger cancelling',
  );
  await decide(handle, PEOPLE.approver1);
  await decide(handle, PEOPLE.approver2);
  await refusedBy(
    t,
    handle.executeUpdate(cancelUpdate, { args: [{ actor: PEOPLE.requester, isAdmin: false, reason: null }] }),
    'Conflict',
    /released/,
    'the requester cancelling after release',
  );
  await refusedBy(
    t,
    handle.executeUpdate(cancelUpdate, { args: [{ actor: PEOPLE.admin, isAdmin: true, reason: null }] }),
    'Conflict',
    /released/,
    'an admin cancelling after release',
  );
  await handle.executeUpdate(closeUpdate, {
    args: [{ actor: PEOPLE.admin, isAdmin: true, summary: 'closed by admin' }],
  });
  await refusedBy(
    t,
    handle.executeUpdate(cancelUpdate, { args: [{ actor: PEOPLE.requester, isAdmin: false, reason: null }] }),
    'Conflict',
    /awaiting_review/,
    'cancelling while awaiting review',
  );
});

void t.test('reveal', async (t) => {
  const { handle } = await pending();
  const reveal = (actor: string) => handle.executeUpdate(authorizeRevealUpdate, { args: [{ actor }] });
  await refusedBy(
    t,
    reveal(PEOPLE.requester),
    'Conflict',
    /pending_approval/,
    'the requester revealing before release',
  );
  await decide(handle, PEOPLE.approver1);
  await decide(handle, PEOPLE.approver2);
  for (const actor of [PEOPLE.approver1, PEOPLE.approver2, PEOPLE.reviewer, PEOPLE.admin, PEOPLE.stranger]) {
    await refusedBy(t, reveal(actor), 'Forbidden', /only the requester/, `${actor} revealing`);
  }
  const grant = await reveal(PEOPLE.requester);
  t.ok(grant.secretName.startsWith('bg-'), 'the requester is granted the secret name, never its value');
  t.notOk('value' in grant, 'no credential value crosses the workflow');
  await handle.executeUpdate(closeUpdate, { args: [{ actor: PEOPLE.requester, isAdmin: false, summary: 'done' }] });
  await refusedBy(t, reveal(PEOPLE.requester), 'Conflict', /awaiting_review/, 'the requester revealing after close');
});

void t.test('close', async (t) => {
  const { handle } = await pending();
  const close = (actor: string, isAdmin = false) =>
    handle.executeUpdate(closeUpdate, { args: [{ actor, isAdmin, summary: 's' }] });
  await refusedBy(t, close(PEOPLE.requester), 'Conflict', /pending_approval/, 'closing before release');
  await decide(handle, PEOPLE.approver1);
  await decide(handle, PEOPLE.approver2);
  await refusedBy(t, close(PEOPLE.approver1), 'Forbidden', /requester or an admin/, 'an approver closing');
  await refusedBy(t, close(PEOPLE.stranger), 'Forbidden', /requester or an admin/, 'a stranger closing');
  const closed = await close(PEOPLE.admin, true);
  t.equal(closed.status, 'awaiting_review', 'an admin may close');
  await refusedBy(t, close(PEOPLE.requester), 'Conflict', /awaiting_review/, 'closing twice');
});

void t.test('review', async (t) => {
  const { handle } = await pending();
  const review = (actor: string) => handle.executeUpdate(reviewUpdate, { args: [{ actor, ...REVIEW }] });
  await refusedBy(t, review(PEOPLE.reviewer), 'Conflict', /pending_approval/, 'reviewing before use');
  await decide(handle, PEOPLE.approver1); // bob is also a reviewer of the account
  await decide(handle, PEOPLE.approver2);
  await refusedBy(t, review(PEOPLE.reviewer), 'Conflict', /released/, 'reviewing while released');
  await handle.executeUpdate(closeUpdate, { args: [{ actor: PEOPLE.requester, isAdmin: false, summary: 'done' }] });
  await refusedBy(t, review(PEOPLE.requester), 'Forbidden', /requester/, 'the requester reviewing their own use');
  await refusedBy(
    t,
    review(PEOPLE.approver1),
    'Forbidden',
    /approver of this request/,
    'a reviewer who approved this request',
  );
  await refusedBy(
    t,
    review(PEOPLE.approver3),
    'Forbidden',
    /reviewer of the account/,
    'an approver who is not a reviewer',
  );
  await refusedBy(t, review(PEOPLE.admin), 'Forbidden', /reviewer of the account/, 'an admin who is not a reviewer');
  const done = await review(PEOPLE.reviewer);
  t.equal(done.status, 'completed');
  await h.temporal.workflow.getHandle(handle.workflowId).result();
  await t.rejects(
    h.lifecycle.review({ id: PEOPLE.reviewer, isAdmin: false }, handle.workflowId, REVIEW),
    { statusCode: 409, message: /completed/ } as unknown as Error,
    'reviewing a completed request',
  );
});

void t.test('create: only a requester, one open request per account; refusals are audited', async (t) => {
  const { account } = await h.createAccount();
  await t.rejects(
    h.lifecycle.create(
      { id: PEOPLE.approver1, isAdmin: false },
      { accountId: account.id, scenario: 'other', justification: 'x', incidentRef: null },
    ),
    { statusCode: 403 } as unknown as Error,
  );
  const first = await h.lifecycle.create(
    { id: PEOPLE.requester, isAdmin: false },
    { accountId: account.id, scenario: 'other', justification: 'x', incidentRef: null },
  );
  await t.rejects(
    h.lifecycle.create(
      { id: PEOPLE.requester, isAdmin: false },
      { accountId: account.id, scenario: 'other', justification: 'y', incidentRef: null },
    ),
    { statusCode: 409 } as unknown as Error,
  );
  await t.rejects(h.lifecycle.decide({ id: PEOPLE.requester, isAdmin: false }, first.id, 'approve', null), {
    statusCode: 403,
  } as unknown as Error);
  const refusals = (await h.audit.list(h.pool, { accountId: account.id, limit: 100 })).filter((event) =>
    event.action.endsWith('.refused'),
  );
  t.same(
    refusals.map((event) => [event.actor, event.action]),
    [
      [PEOPLE.approver1, 'request.create.refused'],
      [PEOPLE.requester, 'request.create.refused'],
      [PEOPLE.requester, 'request.approve.refused'],
    ],
    'each refusal is in the audit trail with actor and action',
  );
  t.match(refusals[2]?.details, { reason: /requester/, refusal: 'Forbidden' }, 'with the reason');
  await h.lifecycle.cancel({ id: PEOPLE.requester, isAdmin: false }, first.id, null);
});
