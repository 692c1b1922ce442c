import { startRegistration } from '/vendor/simplewebauthn/index.js';
import { api, isAdmin, session } from '../api.js';
import { badge, field, h, when } from '../dom.js';
import { say } from '../ui.js';

/** My passkeys and sessions: enrol, see pending confirmation, revoke; admins confirm others' passkeys. */
export async function renderMe(main, ctx) {
  const [{ items: passkeys }, { items: sessions }, pending] = await Promise.all([
    api('GET', `/v1/passkeys?principal=${encodeURIComponent(session.principal)}`),
    api('GET', '/v1/sessions'),
    isAdmin() ? api('GET', '/v1/passkeys?status=pending') : Promise.resolve({ items: [] }),
  ]);
  const again = () => renderMe(main, ctx);
  const run = (what, work) => async (event) => {
    event?.preventDefault();
    try {
      await work();
      await again();
      say(`${what}: done.`);
    } catch (error) {
      say(`${what} refused: ${error.message}`, 'error');
    }
  };
  const name = h('input', { name: 'name', maxlength: 64, value: 'My passkey', autocomplete: 'off' });
  const enrol = h(
    'form',
    {
      onsubmit: run('Passkey enrolment', async () => {
        const optionsJSON = await api('POST', '/v1/passkeys/registration-options');
        const response = await startRegistration({ optionsJSON });
        await api('POST', '/v1/passkeys', { name: name.value.trim() || 'passkey', response });
      }),
    },
    field('Passkey name', name),
    h('button', { type: 'submit' }, 'Enrol a passkey'),
  );

  const passkeyRow = (p, mine) =>
    h(
      'li',
      {},
      h('strong', {}, p.name),
      ' ',
      badge(p.status),
      mine ? '' : ` of ${p.principal}`,
      h(
        'span',
        { class: 'meta' },
        ` enrolled ${when(p.createdAt)}${p.status === 'pending' ? '; waiting for another admin to confirm it' : ''}${p.lastUsedAt ? `; last used ${when(p.lastUsedAt)}` : ''}`,
      ),
      !mine && p.status === 'pending'
        ? h(
            'button',
            {
              type: 'button',
              onclick: run('Confirm passkey', () => api('POST', `/v1/passkeys/${encodeURIComponent(p.id)}/confirm`)),
            },
            `Confirm ${p.principal}'s passkey`,
          )
        : null,
      mine && p.status !== 'revoked'
        ? h(
            'button',
            {
              type: 'button',
              class: 'danger',
              onclick: run('Revoke passkey', () => api('POST', `/v1/passkeys/${encodeURIComponent(p.id)}/revoke`)),
            },
            `Revoke ${p.name}`,
          )
        : null,
    );

  main.replaceChildren(
    h('h1', {}, 'My passkeys and sessions'),
    h(
      'p',
      {},
      `Signed in as ${session.principal} (${(session.amr ?? []).join(', ')}) since ${when(session.authTime)}.`,
    ),
    h('h2', {}, 'Passkeys'),
    passkeys.length
      ? h(
          'ul',
          { class: 'cards', id: 'my-passkeys' },
          passkeys.map((p) => passkeyRow(p, true)),
        )
      : h('p', { class: 'muted' }, 'No passkey yet. Enrol one while Entra works, so you can sign in when it does not.'),
    enrol,
    ...(isAdmin()
      ? [
          h('h2', {}, 'Passkeys waiting for confirmation'),
          pending.items.filter((p) => p.principal !== session.principal).length
            ? h(
                'ul',
                { class: 'cards', id: 'pending-passkeys' },
                pending.items.filter((p) => p.principal !== session.principal).map((p) => passkeyRow(p, false)),
              )
            : h('p', { class: 'muted' }, 'None.'),
        ]
      : []),
    h('h2', {}, 'Sessions'),
    h(
      'ul',
      { class: 'cards' },
      sessions.map((s) =>
        h(
          'li',
          {},
          `${s.amr.join(', ')} since ${when(s.authTime)}`,
          s.current ? ' (this one)' : '',
          h('span', { class: 'meta' }, ` ends by ${when(s.idleExpiresAt)}`),
          h(
            'button',
            {
              type: 'button',
              class: 'danger',
              onclick: run('Revoke session', () => api('DELETE', `/v1/sessions/${encodeURIComponent(s.id)}`)),
            },
            s.current ? 'Revoke (signs you out)' : 'Revoke',
          ),
        ),
      ),
    ),
  );
}
