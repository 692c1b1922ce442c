import { api } from '../api.js';
import { field, h } from '../dom.js';
import { say } from '../ui.js';

const people = (value) =>
  value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
const POLICY = [
  'requiredApprovals',
  'approvalTimeout',
  'releaseWindow',
  'reviewDue',
  'reviewReminder',
  'revealRequiresPasskey',
];

/** Accounts (admins): create, edit membership and policy. The service checks separation of duties. */
export async function renderAccounts(main, ctx) {
  const { items } = await api('GET', '/v1/accounts');
  main.replaceChildren(
    h('h1', {}, 'Accounts'),
    ...items.map((account) => accountForm(account, ctx, main)),
    h('h2', {}, 'Register an account'),
    accountForm(null, ctx, main),
  );
}

function accountForm(account, ctx, main) {
  const key = account?.id ?? 'new';
  const input = (name, value, attrs = {}) =>
    h('input', { name, id: `${key}-${name}`, value: value ?? '', autocomplete: 'off', ...attrs });
  const fields = {
    ...(account
      ? {}
      : { id: input('id', '', { required: true }), secretName: input('secretName', '', { required: true }) }),
    displayName: input('displayName', account?.displayName, { required: true }),
    upn: input('upn', account?.upn, { required: true }),
    requesters: input('requesters', account?.requesters.join(', '), { required: true }),
    approvers: input('approvers', account?.approvers.join(', '), { required: true }),
    reviewers: input('reviewers', account?.reviewers.join(', '), { required: true }),
  };
  const policy = Object.fromEntries(
    POLICY.map((name) => [
      name,
      input(`policy-${name}`, account?.policy[name] ?? '', {
        inputmode: name === 'requiredApprovals' ? 'numeric' : null,
      }),
    ]),
  );
  const form = h(
    'form',
    {
      class: 'account',
      onsubmit: async (event) => {
        event.preventDefault();
        const body = {
          displayName: fields.displayName.value.trim(),
          upn: fields.upn.value.trim(),
          requesters: people(fields.requesters.value),
          approvers: people(fields.approvers.value),
          reviewers: people(fields.reviewers.value),
        };
        const p = {};
        for (const name of POLICY) {
          const value = policy[name].value.trim();
          if (value) p[name] = name === 'requiredApprovals' ? Number(value) : value;
        }
        if (Object.keys(p).length) body.policy = p;
        try {
          if (account) await api('PATCH', `/v1/accounts/${encodeURIComponent(account.id)}`, body);
          else
            await api('POST', '/v1/accounts', {
              ...body,
              id: fields.id.value.trim(),
              secretName: fields.secretName.value.trim(),
            });
          await renderAccounts(main, ctx);
          say(account ? `Account ${account.id} saved.` : 'Account registered.');
        } catch (error) {
          say(`Not saved: ${error.message}`, 'error');
        }
      },
    },
    account ? h('h2', {}, `${account.displayName} (${account.id})`) : null,
    ...Object.entries(fields).map(([name, control]) =>
      field(
        name === 'upn' ? 'User principal name' : name[0].toUpperCase() + name.slice(1),
        control,
        ['requesters', 'approvers', 'reviewers'].includes(name) ? 'Comma-separated principals' : undefined,
      ),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Policy'),
      ...POLICY.map((name) =>
        field(name, policy[name], name === 'requiredApprovals' ? undefined : 'ISO-8601 duration, e.g. PT30M'),
      ),
    ),
    h('button', { type: 'submit' }, account ? 'Save' : 'Register'),
  );
  return form;
}
