import { startAuthentication } from '/vendor/simplewebauthn/index.js';
import { api, loadSession } from '../api.js';
import { h } from '../dom.js';
import { navigate, say } from '../ui.js';

const ERRORS = {
  oidc_off: 'Sign-in with your organisation account is not configured here.',
  oidc_unavailable: 'Your organisation sign-in (Entra ID) cannot be reached right now.',
  login_expired: 'The sign-in took too long or was started elsewhere; try again.',
  login_failed: 'The sign-in did not complete; try again.',
  unmapped: 'Your account is not known to Breakglass; ask an admin to map it.',
};

export function renderSignIn(main, { returnTo }) {
  const error = new URLSearchParams(location.search).get('error');
  const status = h('p', { class: 'notice notice-error', role: 'alert', hidden: !error }, ERRORS[error] ?? '');
  const passkeyButton = h(
    'button',
    { type: 'button', class: 'secondary', onclick: signInWithPasskey },
    'Sign in with your passkey',
  );

  async function signInWithPasskey() {
    passkeyButton.disabled = true;
    status.hidden = true;
    try {
      const optionsJSON = await api('POST', '/v1/sessions/passkey/options');
      const response = await startAuthentication({ optionsJSON });
      await api('POST', '/auth/passkey', { response });
      await loadSession();
      await navigate(returnTo);
      say('Signed in with your passkey.');
    } catch (e) {
      status.textContent = `Passkey sign-in failed: ${e.message}`;
      status.hidden = false;
    } finally {
      passkeyButton.disabled = false;
    }
  }

  main.replaceChildren(
    h('h1', {}, 'Sign in'),
    status,
    h(
      'p',
      {},
      h(
        'a',
        { class: 'button', href: `/auth/login?returnTo=${encodeURIComponent(returnTo)}` },
        'Sign in with your organisation account',
      ),
    ),
    h(
      'section',
      { class: 'emergency', 'aria-labelledby': 'passkey-heading' },
      h('h2', { id: 'passkey-heading' }, 'Entra unavailable? Sign in with your passkey.'),
      passkeyButton,
    ),
  );
}
