import t from 'tap';
import { setupApi, type ApiHarness } from '../../helpers/api';
import { PEOPLE } from '../../helpers/harness';
import { eventually } from '../../helpers/wait';

let api: ApiHarness;
t.before(async () => {
  api = await setupApi(t);
});

const ADMIN = ['BreakGlass.Admin'];
const AUDITOR = ['BreakGlass.Auditor'];

async function registerAccount(policy: Record<string, unknown> = {}) {
  const n = Math.random().toString(36).slice(2, 8);
  const secretName = `bg-http-${n}`;
  const value = `Http-Gl4ss-${n}-${Date.now()}`;
  await api.h.secrets.setSecret(secretName, value);
  const res = await api.call('POST', '/v1/accounts', {
    as: PEOPLE.admin,
    roles: ADMIN,
    body: {
      id: `acct-${n}`,
      displayName: 'Emergency access 1',
      upn: `bg-${n}@contoso.onmicrosoft.com`,
      secretName,
      requesters: [PEOPLE.requester],
      approvers: [PEOPLE.approver1, PEOPLE.approver2, PEOPLE.approver3],
      reviewers: [PEOPLE.reviewer],
      policy: { approvalTimeout: 'PT5M', releaseWindow: 'PT5M', reviewDue: 'PT1H', reviewReminder: 'PT1H', ...policy },
    },
  });
  return { res, secretName, value, accountId: `acct-${n}` };
}

void t.test('the whole lifecycle through the API alone', async (t) => {
  const { res, value, accountId } = await registerAccount();
  t.equal(res.status, 201, 'admin registers the account');
  t.equal(res.body.policy.requiredApprovals, 2, 'policy defaults filled in');

  const created = await api.call('POST', '/v1/requests', {
    as: PEOPLE.requester,
    body: {
      accountId,
      scenario: 'conditional_access_lockout',
      justification: 'CA policy blocks all admins',
      incidentRef: 'INC-42',
    },
  });
  t.equal(created.status, 201);
  t.equal(created.body.status, 'pending_approval');
  const id = created.body.id as string;

  const first = await api.call('POST', `/v1/requests/${id}/approvals`, {
    as: PEOPLE.approver1,
    body: { decision: 'approve', comment: 'verified on bridge' },
  });
  t.equal(first.status, 200);
  t.equal(first.body.status, 'pending_approval');
  const second = await api.call('POST', `/v1/requests/${id}/approvals`, {
    as: PEOPLE.approver2,
    body: { decision: 'approve' },
  });
  t.equal(second.body.status, 'released');

  const reveal = await api.call('POST', `/v1/requests/${id}/reveal`, { as: PEOPLE.requester });
  t.equal(reveal.status, 200);
  t.equal(reveal.body.value, value, 'the requester gets the credential');
  t.equal(reveal.headers.get('cache-control'), 'no-store');

  const closed = await api.call('POST', `/v1/requests/${id}/close`, {
    as: PEOPLE.requester,
    body: { summary: 'removed the bad CA policy' },
  });
  t.equal(closed.body.status, 'awaiting_review');
  const review = await api.call('POST', `/v1/requests/${id}/review`, {
    as: PEOPLE.reviewer,
    body: {
      actionsAppropriate: true,
      signInLogsReviewed: true,
      credentialRotated: true,
      findings: 'only the CA policy was changed',
      followUpTicket: 'CHG-9',
    },
  });
  t.equal(review.status, 200);
  t.equal(review.body.status, 'completed');

  const read = await api.call('GET', `/v1/requests/${id}`, { as: PEOPLE.approver3 });
  t.equal(read.status, 200);
  t.ok(read.body.timeline.length >= 7, 'timeline included');
  const list = await api.call('GET', `/v1/requests?accountId=${accountId}`, { as: PEOPLE.requester });
  t.equal(list.body.items[0]?.id, id);

  const audit = await api.call('GET', `/v1/audit?requestId=${id}`, { as: 'auditor-1', roles: AUDITOR });
  t.equal(audit.status, 200);
  t.ok(
    audit.body.events.some((event: { action: string }) => event.action === 'credential.revealed'),
    'reveal audited',
  );
  const verify = await api.call('GET', '/v1/audit/verify', { as: 'auditor-1', roles: AUDITOR });
  t.same(verify.body, { ok: true, events: verify.body.events, firstBrokenSeq: null });

  await eventually('alerts', () => api.h.sink.types(id).includes('review.completed'));
  const logText = api.logs.join('');
  t.notOk(logText.includes(value), 'the credential is in no log line');
  t.notOk(/eyJ[A-Za-z0-9_-]{10,}\./.test(logText), 'no token in any log line');
});
