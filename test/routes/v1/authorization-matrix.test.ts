import t from 'tap';
import { setupApi, type ApiHarness } from '../../helpers/api';
import { PEOPLE } from '../../helpers/harness';
import { eventually } from '../../helpers/wait';

/**
 * Every route × every kind of caller × every state, each answer checked against the
 * contract's who-may-do-what table. Refusals must not change anything and must be audited.
 */

type State = 'pending_approval' | 'released' | 'awaiting_review' | 'completed' | 'denied' | 'expired' | 'cancelled';
type Caller = 'requester' | 'approver' | 'secondApprover' | 'reviewer' | 'admin' | 'auditor' | 'stranger';
type Route = 'read' | 'approve' | 'deny' | 'cancel' | 'reveal' | 'close' | 'review';

const CALLERS: Record<Caller, { id: string; roles: string[] }> = {
  requester: { id: PEOPLE.requester, roles: [] },
  approver: { id: PEOPLE.approver1, roles: [] },
  secondApprover: { id: PEOPLE.approver2, roles: [] },
  reviewer: { id: PEOPLE.reviewer, roles: [] },
  admin: { id: PEOPLE.admin, roles: ['BreakGlass.Admin'] },
  auditor: { id: 'auditor-1', roles: ['BreakGlass.Auditor'] },
  stranger: { id: PEOPLE.stranger, roles: [] },
};
const STATES: State[] = [
  'pending_approval',
  'released',
  'awaiting_review',
  'completed',
  'denied',
  'expired',
  'cancelled',
];
const ROUTES: Route[] = ['read', 'approve', 'deny', 'cancel', 'reveal', 'close', 'review'];

/** The contract's table, written out independently of the code under test. */
function expected(state: State, caller: Caller, route: Route): number {
  if (caller === 'stranger') return 404;
  if (route === 'read') return 200;
  const approverDecided = (who: Caller) =>
    ['released', 'awaiting_review', 'completed', 'denied'].includes(state) &&
    (who === 'approver' || who === 'secondApprover');
  switch (route) {
    case 'approve':
    case 'deny':
      if (caller !== 'approver' && caller !== 'secondApprover') return 403;
      return state === 'pending_approval' ? 200 : 409;
    case 'cancel':
      if (caller !== 'requester' && caller !== 'admin') return 403;
      return state === 'pending_approval' ? 200 : 409;
    case 'reveal':
      if (caller !== 'requester') return 403;
      return state === 'released' ? 200 : 409;
    case 'close':
      if (caller !== 'requester' && caller !== 'admin') return 403;
      return state === 'released' ? 200 : 409;
    case 'review':
      if (caller === 'requester' || approverDecided(caller) || caller !== 'reviewer') return 403;
      return state === 'awaiting_review' ? 200 : 409;
  }
}

const REVIEW = {
  actionsAppropriate: true,
  signInLogsReviewed: true,
  credentialRotated: true,
  findings: 'fine',
  followUpTicket: 'T-1',
};

function send(api: ApiHarness, route: Route, caller: Caller, id: string) {
  const as = { as: CALLERS[caller].id, roles: CALLERS[caller].roles };
  switch (route) {
    case 'read':
      return api.call('GET', `/v1/requests/${id}`, as);
    case 'approve':
      return api.call('POST', `/v1/requests/${id}/approvals`, { ...as, body: { decision: 'approve' } });
    case 'deny':
      return api.call('POST', `/v1/requests/${id}/approvals`, { ...as, body: { decision: 'deny', comment: 'no' } });
    case 'cancel':
      return api.call('POST', `/v1/requests/${id}/cancel`, { ...as, body: { reason: 'matrix' } });
    case 'reveal':
      return api.call('POST', `/v1/requests/${id}/reveal`, as);
    case 'close':
      return api.call('POST', `/v1/requests/${id}/close`, { ...as, body: { summary: 'matrix' } });
    case 'review':
      return api.call('POST', `/v1/requests/${id}/review`, { ...as, body: REVIEW });
  }
}

let api: ApiHarness;
t.before(async () => {
  api = await setupApi(t);
});

let accounts = 0;
async function requestIn(state: State): Promise<{ id: string; accountId: string }> {
  const n = `${api.h.id}-m${(accounts += 1)}`;
  const secretName = `bg-matrix-${n}`;
  await api.h.secrets.setSecret(secretName, `Matrix-${n}-value`);
  const accountId = `matrix-${n}`;
  const registered = await api.call('POST', '/v1/accounts', {
    as: PEOPLE.admin,
    roles: ['BreakGlass.Admin'],
    body: {
      id: accountId,
      displayName: `Matrix ${n}`,
      upn: `matrix-${n}@contoso.onmicrosoft.com`,
      secretName,
      requesters: [PEOPLE.requester],
      approvers: [PEOPLE.approver1, PEOPLE.approver2, PEOPLE.approver3],
      reviewers: [PEOPLE.reviewer],
      policy: {
        approvalTimeout: state === 'expired' ? 'PT2S' : 'PT10M',
        releaseWindow: 'PT10M',
        reviewDue: 'PT1H',
        reviewReminder: 'PT1H',
      },
    },
  });
  if (registered.status !== 201) throw new Error(`register failed: ${registered.text}`);
  const created = await api.call('POST', '/v1/requests', {
    as: PEOPLE.requester,
    body: { accountId, scenario: 'drill', justification: 'authorisation matrix' },
  });
  const id = created.body.id as string;
  const step = async (route: Route, caller: Caller) => {
    const res = await send(api, route, caller, id);
    if (res.status !== 200)
      throw new Error(`setting up ${state}: ${route} by ${caller} answered ${res.status} ${res.text}`);
  };
  if (state === 'cancelled') await step('cancel', 'requester');
  if (state === 'denied') {
    await step('approve', 'approver');
    await step('deny', 'secondApprover');
  }
  if (['released', 'awaiting_review', 'completed'].includes(state)) {
    await step('approve', 'approver');
    await step('approve', 'secondApprover');
  }
  if (['awaiting_review', 'completed'].includes(state)) await step('close', 'requester');
  if (state === 'completed') await step('review', 'reviewer');
  if (state === 'expired')
    await eventually('expiry', async () => (await api.h.requests.get(api.h.pool, id))?.status === 'expired', 20_000);
  // The read model has caught up once the workflow's own first event is projected.
  const view = await eventually(
    'projection',
    async () => {
      const current = await api.h.requests.get(api.h.pool, id);
      return current && current.version >= 1 && current.status === state && current;
    },
    10_000,
  ).catch(() => api.h.requests.get(api.h.pool, id));
  if (view?.status !== state) throw new Error(`could not bring a request to ${state} (it is ${view?.status})`);
  return { id, accountId };
}

t.jobs = 4;
for (const state of STATES) {
  void t.test(`state ${state}`, async (t) => {
    const { id, accountId } = await requestIn(state);
    const before = await api.h.requests.get(api.h.pool, id);
    let refused = 0;
    for (const caller of Object.keys(CALLERS) as Caller[]) {
      for (const route of ROUTES) {
        const want = expected(state, caller, route);
        if (want === 200 && route !== 'read') continue; // allowed actions change state: checked below, each on a fresh request
        const res = await send(api, route, caller, id);
        t.equal(
          res.status,
          want,
          `${route} by ${caller} while ${state} → ${want}${res.status !== want ? ` (got ${res.text.slice(0, 200)})` : ''}`,
        );
        if (want !== 200) {
          refused += 1;
          t.equal(
            res.headers.get('content-type')?.split(';')[0],
            'application/problem+json',
            `${route} by ${caller}: problem+json`,
          );
          if (want === 409)
            t.match(
              res.body.detail,
              new RegExp(`${state}|already decided|being released`),
              `${route} by ${caller}: the 409 names the state`,
            );
        }
      }
    }
    const after = await api.h.requests.get(api.h.pool, id);
    t.equal(after?.version, before?.version, 'no refused call changed the request');
    const audited = (await api.h.audit.list(api.h.pool, { accountId, limit: 1000 })).filter((event) =>
      event.action.endsWith('.refused'),
    );
    t.equal(audited.length, refused, 'every refusal is in the audit trail');
    t.ok(
      audited.every((event) => typeof event.details.reason === 'string' && event.actor),
      'each with actor and reason',
    );

    // Allowed actions, each on its own fresh request in this state.
    for (const caller of Object.keys(CALLERS) as Caller[]) {
      for (const route of ROUTES) {
        if (route === 'read' || expected(state, caller, route) !== 200) continue;
        const fresh = await requestIn(state);
        const res = await send(api, route, caller, fresh.id);
        t.equal(
          res.status,
          200,
          `${route} by ${caller} while ${state} → 200${res.status !== 200 ? ` (got ${res.text.slice(0, 200)})` : ''}`,
        );
      }
    }
  });
}

void t.test('membership is checked as it is now: a removed approver or requester can no longer act', async (t) => {
  const { id, accountId } = await requestIn('pending_approval');
  const patch = await api.call('PATCH', `/v1/accounts/${accountId}`, {
    as: PEOPLE.admin,
    roles: ['BreakGlass.Admin'],
    body: { approvers: [PEOPLE.approver2, PEOPLE.approver3] },
  });
  t.equal(patch.status, 200);
  const removed = await send(api, 'approve', 'approver', id);
  t.equal(removed.status, 404, 'a removed approver no longer sees the request');
  await send(api, 'approve', 'secondApprover', id);
  await api.call('POST', `/v1/requests/${id}/approvals`, { as: PEOPLE.approver3, body: { decision: 'approve' } });
  const released = await api.h.requests.get(api.h.pool, id);
  t.equal(released?.status, 'released');
  const patchRequesters = await api.call('PATCH', `/v1/accounts/${accountId}`, {
    as: PEOPLE.admin,
    roles: ['BreakGlass.Admin'],
    body: { requesters: ['someone-else'] },
  });
  t.equal(patchRequesters.status, 200);
  const reveal = await send(api, 'reveal', 'requester', id);
  t.equal(reveal.status, 403, 'a removed requester can no longer reveal');
  t.match(reveal.body.detail, /no longer a requester/);
  const close = await send(api, 'close', 'admin', id);
  t.equal(close.status, 200, 'an admin can still close');
});
