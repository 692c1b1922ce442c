import { api, session } from '../api.js';
import { field, h } from '../dom.js';
import { navigate, say } from '../ui.js';

const SCENARIOS = [
  ['conditional_access_lockout', 'Conditional Access lockout'],
  ['mfa_outage', 'MFA outage'],
  ['federation_outage', 'Federation outage'],
  ['pim_unavailable', 'PIM unavailable'],
  ['admin_compromise', 'Admin compromise'],
  ['baseline_policy_lockout', 'Baseline policy lockout'],
  ['drill', 'Drill'],
  ['other', 'Other'],
];

/** Account, scenario, justification, incident reference, with the chosen account's policy shown. */
export async function renderNewRequest(main) {
  const { items } = await api('GET', '/v1/accounts');
  const accounts = items.filter((a) => a.requesters.includes(session.principal));
  if (!accounts.length) {
    main.replaceChildren(h('h1', {}, 'New request'), h('p', {}, 'You are not a requester of any account.'));
    return;
  }
  const account = h(
    'select',
    { name: 'accountId', required: true },
    accounts.map((a) => h('option', { value: a.id }, `${a.displayName} (${a.id})`)),
  );
  const policy = h('p', { class: 'policy', id: 'policy', 'aria-live': 'polite' });
  const showPolicy = () => {
    const p = accounts.find((a) => a.id === account.value).policy;
    policy.textContent = `Needs ${p.requiredApprovals} approvals within ${p.approvalTimeout}; the credential is released for ${p.releaseWindow}${p.revealRequiresPasskey ? `; the reveal needs a passkey sign-in within ${p.revealRequiresPasskey}` : ''}.`;
  };
  account.addEventListener('change', showPolicy);
  showPolicy();
  const scenario = h(
    'select',
    { name: 'scenario', required: true },
    SCENARIOS.map(([value, label]) => h('option', { value }, label)),
  );
  const justification = h('textarea', { name: 'justification', required: true, maxlength: 2000, rows: 4 });
  const incident = h('input', { name: 'incidentRef', maxlength: 100, autocomplete: 'off' });
  // One key per form: a double submit or a retry after a timeout joins the same request.
  const idempotencyKey = `console-${crypto.randomUUID()}`;
  const submit = h('button', { type: 'submit' }, 'Request access');
  const form = h(
    'form',
    {
      onsubmit: async (event) => {
        event.preventDefault();
        submit.disabled = true;
        try {
          const body = {
            accountId: account.value,
            scenario: scenario.value,
            justification: justification.value.trim(),
          };
          if (incident.value.trim()) body.incidentRef = incident.value.trim();
          const created = await api('POST', '/v1/requests', body, { 'idempotency-key': idempotencyKey });
          await navigate(`/requests/${encodeURIComponent(created.id)}`);
          say('Request created; the approvers have been alerted.');
        } catch (error) {
          say(error.message, 'error');
          submit.disabled = false;
        }
      },
    },
    field('Account', account),
    policy,
    field('Scenario', scenario),
    field('Justification', justification, 'What is broken and what you will do with the account.'),
    field('Incident reference (optional)', incident),
    submit,
  );
  main.replaceChildren(h('h1', {}, 'New request'), form);
}
