import { api, session } from '../api.js';
import { badge, countdown, field, h, list, statusLabel, when } from '../dom.js';
import { say } from '../ui.js';
import { revealPanel } from './reveal.js';

const LABELS = {
  approve: 'Approve',
  deny: 'Deny',
  cancel: 'Cancel request',
  reveal: 'Reveal credential',
  close: 'Close session',
  review: 'Record review',
};

/** Status, timeline, live countdowns and the actions this person may take now (by the service's own rules). */
export async function renderRequest(main, { params, cleanups }) {
  const id = params[0];
  const path = `/v1/requests/${encodeURIComponent(id)}`;
  const [request, actions] = await Promise.all([api('GET', path), api('GET', `${path}/actions`)]);
  const reload = async () => {
    for (const fn of cleanups.splice(0)) fn();
    await renderRequest(main, { params, cleanups });
  };

  /** Runs one action; a refusal is shown in the service's words, and the page shows the request as it is now. */
  const act = (name, run) => async (event) => {
    event?.preventDefault();
    const button = event?.submitter ?? event?.currentTarget;
    if (button) button.disabled = true;
    try {
      await run();
      await reload();
      say(`${LABELS[name]}: done.`);
      document.getElementById('status-heading')?.focus();
    } catch (error) {
      await reload().catch(() => {});
      say(`${LABELS[name]} refused: ${error.message}`, 'error');
    }
  };

  const timers = [];
  if (request.status === 'pending_approval') timers.push(['Approval expires in', request.approvalExpiresAt]);
  if (request.status === 'released' && request.releaseExpiresAt)
    timers.push(['Release window ends in', request.releaseExpiresAt]);
  if (request.status === 'awaiting_review' && request.reviewDueAt) timers.push(['Review due in', request.reviewDueAt]);

  const summary = h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'Account'),
    h('dd', {}, request.accountId),
    h('dt', {}, 'Requester'),
    h('dd', {}, request.requester),
    h('dt', {}, 'Scenario'),
    h('dd', {}, statusLabel(request.scenario)),
    h('dt', {}, 'Justification'),
    h('dd', {}, request.justification),
    h('dt', {}, 'Incident'),
    h('dd', {}, request.incidentRef ?? '—'),
    h('dt', {}, 'Approvals'),
    h(
      'dd',
      {},
      `${request.approvals.filter((a) => a.decision === 'approve').length} of ${request.requiredApprovals}: `,
      list(request.approvals.map((a) => `${a.approver} (${a.decision})`)),
    ),
    ...timers.flatMap(([label, iso]) => [h('dt', {}, label), h('dd', {}, countdown(iso, cleanups))]),
    request.closeSummary ? [h('dt', {}, 'Close summary'), h('dd', {}, request.closeSummary)] : null,
  );

  const timeline = h(
    'section',
    { 'aria-labelledby': 'timeline-heading', class: 'timeline' },
    h('h2', { id: 'timeline-heading' }, 'Timeline'),
    h(
      'ol',
      {},
      request.timeline.map((e) =>
        h(
          'li',
          {},
          h('time', { datetime: e.at }, when(e.at)),
          ' ',
          h('strong', {}, e.action),
          ` by ${e.actor}`,
          e.detail ? ` — ${e.detail}` : '',
        ),
      ),
    ),
  );

  const allowed = Object.entries(actions)
    .filter(([, state]) => state.allowed)
    .map(([name]) => name);
  const controls = [];
  if (allowed.includes('approve') || allowed.includes('deny')) {
    const comment = h('input', { name: 'comment', maxlength: 1000, autocomplete: 'off' });
    const decide = (decision) =>
      act(decision, () => api('POST', `${path}/approvals`, { decision, comment: comment.value.trim() || null }));
    controls.push(
      h(
        'form',
        { class: 'action', onsubmit: (e) => e.preventDefault() },
        field('Comment (optional)', comment),
        h(
          'div',
          { class: 'buttons' },
          allowed.includes('approve')
            ? h('button', { type: 'button', onclick: decide('approve') }, LABELS.approve)
            : null,
          allowed.includes('deny')
            ? h('button', { type: 'button', class: 'danger', onclick: decide('deny') }, LABELS.deny)
            : null,
        ),
      ),
    );
  }
  if (allowed.includes('reveal')) controls.push(revealPanel(path, session.revealSeconds ?? 60, cleanups));
  if (allowed.includes('close')) {
    const text = h('textarea', { name: 'summary', required: true, maxlength: 4000, rows: 3 });
    controls.push(
      h(
        'form',
        { class: 'action', onsubmit: act('close', () => api('POST', `${path}/close`, { summary: text.value.trim() })) },
        field('What was done with the account', text),
        h('button', { type: 'submit' }, LABELS.close),
      ),
    );
  }
  if (allowed.includes('cancel')) {
    controls.push(
      h(
        'div',
        { class: 'action' },
        h(
          'button',
          { type: 'button', class: 'danger', onclick: act('cancel', () => api('POST', `${path}/cancel`, {})) },
          LABELS.cancel,
        ),
      ),
    );
  }
  if (allowed.includes('review')) controls.push(reviewForm(path, act));

  const notOffered = Object.entries(actions).filter(([, state]) => !state.allowed && state.refusal === 'Forbidden');
  main.replaceChildren(
    h('h1', {}, `Request for ${request.accountId}`),
    h('h2', { id: 'status-heading', tabindex: -1 }, 'Status: ', badge(request.status)),
    h(
      'div',
      { class: request.status === 'awaiting_review' && allowed.includes('review') ? 'split' : '' },
      h(
        'div',
        {},
        summary,
        h(
          'section',
          { 'aria-labelledby': 'actions-heading' },
          h('h2', { id: 'actions-heading' }, 'Your actions'),
          controls.length ? controls : h('p', { class: 'muted' }, 'Nothing for you to do on this request now.'),
        ),
      ),
      timeline,
    ),
    notOffered.length
      ? h(
          'details',
          { class: 'refusals' },
          h('summary', {}, 'Actions not offered to you, and why'),
          h(
            'ul',
            {},
            notOffered.map(([name, state]) => h('li', {}, h('strong', {}, LABELS[name]), `: ${state.reason}`)),
          ),
        )
      : null,
  );
}

function reviewForm(path, act) {
  const box = (name, label) =>
    h(
      'div',
      { class: 'check' },
      h('input', { type: 'checkbox', id: `r-${name}`, name }),
      h('label', { for: `r-${name}` }, label),
    );
  const findings = h('textarea', { name: 'findings', required: true, maxlength: 4000, rows: 4 });
  const ticket = h('input', { name: 'followUpTicket', required: true, maxlength: 100, autocomplete: 'off' });
  const form = h(
    'form',
    {
      class: 'action review',
      onsubmit: act('review', () => {
        const checked = (name) => form.querySelector(`[name=${name}]`).checked;
        return api('POST', `${path}/review`, {
          actionsAppropriate: checked('actionsAppropriate'),
          signInLogsReviewed: checked('signInLogsReviewed'),
          credentialRotated: checked('credentialRotated'),
          findings: findings.value.trim(),
          followUpTicket: ticket.value.trim(),
        });
      }),
    },
    h(
      'fieldset',
      {},
      h('legend', {}, 'Post-use review'),
      box('actionsAppropriate', 'The actions taken were appropriate'),
      box('signInLogsReviewed', 'The sign-in logs were reviewed'),
      box('credentialRotated', 'The credential was rotated'),
    ),
    field('Findings', findings),
    field('Follow-up ticket', ticket),
    h('button', { type: 'submit' }, 'Record review'),
  );
  return form;
}
