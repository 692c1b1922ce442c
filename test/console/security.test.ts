import t from 'tap';
import { createSessions } from '../../src/auth/sessions';
import { parseConfig } from '../../src/config';
import { setupApi } from '../helpers/api';
import { harnessEnv, PEOPLE } from '../helpers/harness';

/**
 * The console's protections without a browser: security headers and CSP on its pages, the
 * pages and deep links served by the API, and CSRF on every change a session cookie
 * authenticates (Origin and the session's token), while Bearer callers are unaffected.
 */
void t.test('console pages, headers, cookie sessions and CSRF', async (t) => {
  const api = await setupApi(t);
  const { h } = api;
  const first = await h.createAccount();
  const second = await h.createAccount();
  const sessions = createSessions({ pool: h.pool, idleMs: 15 * 60_000, maxMs: 8 * 3_600_000 });
  const { token } = await sessions.create({ id: PEOPLE.requester, roles: [] }, ['oidc'], new Date());
  const cookie = `__Host-bg_session=${token}`;
  const origin = api.baseUrl;
  const body = (accountId: string) => ({ accountId, scenario: 'drill', justification: 'console CSRF test' });

  await t.test('pages and deep links are the console, with a strict CSP and no framing', async (t) => {
    const home = await api.call('GET', '/');
    t.equal(home.status, 200);
    t.match(home.headers.get('content-type'), /text\/html/);
    const csp = home.headers.get('content-security-policy') ?? '';
    t.match(csp, /script-src 'self'(;|$)/, 'scripts from this origin only');
    t.match(csp, /frame-ancestors 'none'/);
    t.notMatch(csp, /unsafe-inline|unsafe-eval|https?:/, 'no inline script, no third-party origin');
    t.notMatch(home.text, /<script(?![^>]*\bsrc=)/, 'no inline script in the page');
    const docs = await fetch(`${api.baseUrl}/docs/static/index.html`);
    t.equal(docs.status, 200, 'the API docs page');
    t.match(
      docs.headers.get('content-security-policy') ?? '',
      /frame-ancestors 'none'/,
      'the API docs carry the headers too',
    );
    const deep = await api.call('GET', '/requests/6f1c2a3e-1111-4222-8333-944455556666');
    t.equal(deep.status, 200, 'an alert link serves the console');
    t.equal(deep.text, home.text);
    for (const asset of ['/assets/app.js', '/assets/pages/request.js', '/vendor/simplewebauthn/index.js']) {
      const res = await api.call('GET', asset);
      t.equal(res.status, 200, asset);
      t.match(res.headers.get('content-type'), /javascript/, asset);
    }
    t.equal((await api.call('GET', '/vendor/simplewebauthn/index.d.ts')).status, 404, 'only the library modules');
    const problem = await api.call('GET', '/v1/requests', { as: PEOPLE.requester });
    t.match(problem.headers.get('content-security-policy'), /frame-ancestors 'none'/, 'API answers carry it too');
    const login = await fetch(`${api.baseUrl}/auth/login`, { redirect: 'manual' });
    t.equal(login.status, 303, 'without OIDC_ISSUER the console sign-in is off');
    t.equal(login.headers.get('location'), '/signin?error=oidc_off');
  });

  await t.test('a cookie session reads freely but changes only with Origin and its CSRF token', async (t) => {
    const me = await api.call('GET', '/auth/session', { headers: { cookie } });
    t.equal(me.body.signedIn, true);
    t.equal(me.body.principal, PEOPLE.requester);
    t.match(me.headers.get('cache-control'), /no-store/);
    const csrf = me.body.csrfToken as string;
    t.match(csrf, /^[A-Za-z0-9_-]{43}$/);
    t.notOk(JSON.stringify(me.body).includes(token), 'the session token itself is never handed to the script');
    t.equal((await api.call('GET', '/v1/requests', { headers: { cookie } })).status, 200, 'reads need no token');

    const attempts: Array<[string, Record<string, string>, RegExp]> = [
      ['no Origin', { cookie, 'x-csrf-token': csrf }, /Origin/],
      ['another Origin', { cookie, origin: 'https://evil.example', 'x-csrf-token': csrf }, /Origin/],
      ['no token', { cookie, origin }, /x-csrf-token/],
      [
        'a wrong token',
        { cookie, origin, 'x-csrf-token': csrf.replace(/^./, csrf[0] === 'A' ? 'B' : 'A') },
        /x-csrf-token/,
      ],
      ['a cross-site fetch', { cookie, origin, 'x-csrf-token': csrf, 'sec-fetch-site': 'cross-site' }, /another site/],
    ];
    for (const [what, headers, reason] of attempts) {
      const res = await api.call('POST', '/v1/requests', { headers, body: body(first.account.id) });
      t.equal(res.status, 403, `${what}: refused`);
      t.match(res.body.detail, reason, `${what}: says why`);
    }
    const { rows } = await h.pool.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'auth.refused' AND actor = $1`,
      [PEOPLE.requester],
    );
    t.equal(rows[0].n, attempts.length, 'every refused change is audited');
    t.equal((await h.requests.list(h.pool, { limit: 10, visibleTo: null })).length, 0, 'and nothing was created');

    const created = await api.call('POST', '/v1/requests', {
      headers: { cookie, origin, 'x-csrf-token': csrf },
      body: body(first.account.id),
    });
    t.equal(created.status, 201, 'with both, the change goes through');
    const bearer = await api.call('POST', '/v1/requests', { as: PEOPLE.requester, body: body(second.account.id) });
    t.equal(bearer.status, 201, 'Bearer callers need neither');

    const other = await sessions.create({ id: PEOPLE.requester, roles: [] }, ['oidc'], new Date());
    const cross = await api.call('POST', `/v1/requests/${created.body.id}/cancel`, {
      headers: { cookie: `__Host-bg_session=${other.token}`, origin, 'x-csrf-token': csrf },
      body: {},
    });
    t.equal(cross.status, 403, "one session's CSRF token does not serve another session");
  });

  await t.test('sign-out revokes the session and clears the cookie', async (t) => {
    const me = await api.call('GET', '/auth/session', { headers: { cookie } });
    const out = await api.call('POST', '/auth/logout', {
      headers: { cookie, origin, 'x-csrf-token': me.body.csrfToken },
    });
    t.equal(out.status, 204);
    t.match(out.headers.get('set-cookie'), /__Host-bg_session=;/);
    t.equal((await api.call('GET', '/auth/session', { headers: { cookie } })).body.signedIn, false);
    t.equal((await api.call('GET', '/v1/requests', { headers: { cookie } })).status, 401, 'the cookie no longer works');
    t.notOk(api.logs.join('\n').includes(token), 'the session token is in no log line');
    const callback = await api.call('GET', '/auth/callback?code=SECRET-CODE-4711&state=STATE-0815');
    t.equal(callback.status, 200, 'a callback without a pending sign-in ends on the sign-in page (after its redirect)');
    const logged = api.logs.join('\n');
    t.match(logged, /"url":"\/auth\/callback"/, 'the callback is logged by its path');
    t.notOk(logged.includes('SECRET-CODE-4711') || logged.includes('STATE-0815'), 'without the code or state');
    await api.call('GET', '/%61uth/callback?code=SECRET-CODE-0042&state=x');
    t.notOk(api.logs.join('\n').includes('SECRET-CODE-0042'), 'nor when the path is percent-encoded');
    const stray = await fetch(`${api.baseUrl}/auth/logout`, { method: 'POST', redirect: 'manual' });
    t.equal(stray.status, 204, 'a sign-out without the cookie (a cross-site form) ends nothing');
    t.equal(stray.headers.get('set-cookie'), null, 'and clears no cookie');
  });

  await t.test('a passkey sign-in for the console refuses another Origin (login CSRF)', async (t) => {
    const res = await api.call('POST', '/auth/passkey', {
      headers: { origin: 'https://evil.example' },
      body: { response: { id: 'x', rawId: 'x', type: 'public-key', response: {}, clientExtensionResults: {} } },
    });
    t.equal(res.status, 403);
  });
});

void t.test('OIDC configuration: the issuer must be one the API already trusts', async (t) => {
  const base = {
    ...harnessEnv({
      stack: {
        env: {
          DATABASE_URL: 'postgres://x/y',
          TEMPORAL_ADDRESS: '127.0.0.1:7233',
          KEYVAULT_URL: 'https://kv.example',
          KEYVAULT_CA_CERT: '',
        },
      } as never,
      schema: 'public',
      taskQueue: 'q',
    }),
    AUTH_ISSUER: 'https://login.example/tid/v2.0',
    AUTH_AUDIENCE: 'api',
    AUTH_JWKS_URL: 'https://login.example/keys',
  };
  t.throws(
    () =>
      parseConfig({
        ...base,
        OIDC_ISSUER: 'https://other.example',
        OIDC_CLIENT_ID: 'c',
        CONSOLE_URL: 'http://localhost:3000',
      }),
    /OIDC_ISSUER must be AUTH_ISSUER or one of AUTH_ISSUERS/,
  );
  t.throws(() => parseConfig({ ...base, OIDC_ISSUER: base.AUTH_ISSUER, OIDC_CLIENT_ID: 'c' }), /without CONSOLE_URL/);
  const config = parseConfig({
    ...base,
    OIDC_ISSUER: base.AUTH_ISSUER,
    OIDC_CLIENT_ID: 'c',
    CONSOLE_URL: 'http://localhost:3000',
  });
  t.equal(config.CONSOLE_REVEAL_SECONDS, 60, 'the reveal stays 60 s unless configured');
});
