import { api, isAdmin, isAuditor, loadSession, session } from './api.js';
import { clear, h } from './dom.js';
import { navigate, say, setRenderer } from './ui.js';
import { renderSignIn } from './pages/signin.js';
import { renderHome } from './pages/home.js';
import { renderNewRequest } from './pages/new-request.js';
import { renderRequest } from './pages/request.js';
import { renderAudit } from './pages/audit.js';
import { renderAccounts } from './pages/accounts.js';
import { renderMe } from './pages/me.js';

/** A small client-side router: links with data-link change the page without reloading it. */
const main = document.getElementById('main');
const nav = document.getElementById('nav');
let cleanups = [];

const routes = [
  [/^\/$/, renderHome, 'What needs me now'],
  [/^\/new$/, renderNewRequest, 'New request'],
  [/^\/requests\/([^/]+)$/, renderRequest, 'Request'],
  [/^\/audit$/, renderAudit, 'Audit trail'],
  [/^\/accounts$/, renderAccounts, 'Accounts'],
  [/^\/me$/, renderMe, 'My passkeys and sessions'],
];

function leave() {
  for (const fn of cleanups.splice(0)) fn();
}

function renderNav() {
  clear(nav);
  if (!session.signedIn) return;
  const links = [
    ['/', 'Home'],
    ['/new', 'New request'],
    ...(isAdmin() || isAuditor() ? [['/audit', 'Audit']] : []),
    ...(isAdmin() ? [['/accounts', 'Accounts']] : []),
    ['/me', 'Me'],
  ];
  nav.append(
    h(
      'ul',
      {},
      ...links.map(([href, label]) =>
        h(
          'li',
          {},
          h('a', { href, 'data-link': true, 'aria-current': location.pathname === href ? 'page' : null }, label),
        ),
      ),
    ),
    h('span', { class: 'who' }, `${session.principal}${session.amr?.includes('passkey') ? ' (passkey)' : ''}`),
    h('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign out'),
  );
}

async function signOut() {
  await api('POST', '/auth/logout').catch(() => {});
  await loadSession();
  await navigate('/signin');
  say('You are signed out.');
}

async function render() {
  leave();
  say('');
  const path = location.pathname;
  if (!session.signedIn || path === '/signin') {
    renderNav();
    if (session.signedIn) return navigate('/');
    document.title = 'Sign in · Breakglass';
    return renderSignIn(main, { returnTo: path === '/signin' ? '/' : path, cleanups });
  }
  renderNav();
  const match = routes.find(([pattern]) => pattern.test(path));
  clear(main);
  if (!match) {
    main.append(h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '/', 'data-link': true }, 'Back home')));
    return;
  }
  const [pattern, page, title] = match;
  document.title = `${title} · Breakglass`;
  const params = path.match(pattern).slice(1).map(decodeURIComponent);
  try {
    await page(main, { params, cleanups });
  } catch (error) {
    if (error?.status === 401) {
      await loadSession();
      return render();
    }
    clear(main);
    main.append(h('h1', {}, title), h('p', { class: 'notice notice-error', role: 'alert' }, error.message));
  }
}

document.addEventListener('click', (event) => {
  const link = event.target.closest?.('a[data-link]');
  if (!link || event.metaKey || event.ctrlKey || event.shiftKey || link.origin !== location.origin) return;
  event.preventDefault();
  void navigate(link.pathname);
});
window.addEventListener('popstate', () => void render());
window.addEventListener('breakglass:signed-out', (event) => {
  void loadSession()
    .then(() => navigate(`/signin`))
    .then(() => say(`Your session ended (${event.detail ?? 'signed out'}). Sign in again.`));
});
// Leaving the page (another site, closing the tab, going into the background cache) ends what is on it.
window.addEventListener('pagehide', leave);

setRenderer(render);
await loadSession();
void render();
