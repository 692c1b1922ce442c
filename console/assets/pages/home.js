import { api, session } from '../api.js';
import { badge, countdown, h, statusLabel } from '../dom.js';

/** What needs me now: approvals waiting for me, my released sessions, reviews due (overdue first). */
export async function renderHome(main, { cleanups }) {
  const me = session.principal;
  const [{ items: requests }, { items: accounts }] = await Promise.all([
    api('GET', '/v1/requests?limit=100'),
    api('GET', '/v1/accounts'),
  ]);
  const account = new Map(accounts.map((a) => [a.id, a]));
  const approverOf = (r) => account.get(r.accountId)?.approvers.includes(me);
  const reviewerOf = (r) => account.get(r.accountId)?.reviewers.includes(me);
  const decided = (r) => r.approvals.some((a) => a.approver === me);

  const approvals = requests.filter(
    (r) => r.status === 'pending_approval' && r.requester !== me && approverOf(r) && !decided(r),
  );
  const released = requests.filter((r) => r.status === 'released' && r.requester === me);
  const reviews = requests
    .filter((r) => r.status === 'awaiting_review' && r.requester !== me && !decided(r) && reviewerOf(r))
    .sort((a, b) => Date.parse(a.reviewDueAt ?? 0) - Date.parse(b.reviewDueAt ?? 0));
  const mine = requests.filter((r) => r.requester === me && r.status === 'pending_approval');

  const link = (r, ...extra) =>
    h(
      'li',
      {},
      h(
        'a',
        { href: `/requests/${encodeURIComponent(r.id)}`, 'data-link': true },
        `${r.accountId}: ${statusLabel(r.scenario)}`,
      ),
      ' ',
      badge(r.status),
      ...extra,
    );
  const section = (title, items, empty, each) =>
    h(
      'section',
      { 'aria-labelledby': `h-${title}` },
      h('h2', { id: `h-${title}` }, title),
      items.length ? h('ul', { class: 'cards' }, items.map(each)) : h('p', { class: 'muted' }, empty),
    );

  main.replaceChildren(
    h('h1', {}, 'What needs me now'),
    section('Approvals waiting for me', approvals, 'No request waits for your approval.', (r) =>
      link(
        r,
        h(
          'span',
          { class: 'meta' },
          `by ${r.requester}; ${r.approvals.filter((a) => a.decision === 'approve').length} of ${r.requiredApprovals} approvals; expires in `,
          countdown(r.approvalExpiresAt, cleanups),
        ),
      ),
    ),
    section('My released sessions', released, 'You have no released credential.', (r) =>
      link(r, h('span', { class: 'meta' }, 'time left ', countdown(r.releaseExpiresAt, cleanups))),
    ),
    section('Reviews due', reviews, 'No review waits for you.', (r) => {
      const overdue = Date.parse(r.reviewDueAt) < Date.now();
      return link(
        r,
        h(
          'span',
          { class: overdue ? 'meta overdue' : 'meta' },
          overdue ? 'overdue' : 'due in ',
          overdue ? null : countdown(r.reviewDueAt, cleanups),
        ),
      );
    }),
    section('My requests waiting for approval', mine, 'None.', (r) =>
      link(r, h('span', { class: 'meta' }, 'approval expires in ', countdown(r.approvalExpiresAt, cleanups))),
    ),
    section('Recent requests', requests.slice(0, 20), 'No request yet.', (r) =>
      link(r, h('span', { class: 'meta' }, `by ${r.requester}`)),
    ),
  );
}
