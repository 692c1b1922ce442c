import t0, { type Test } from 'tap';
import { setupApi, type ApiHarness } from './api';
import { newKey, serveJwks, sign, type JwksServer } from './tokens';

/**
 * The API under token attack (test/routes/v1/token-*.test.ts): it trusts a JWKS the test serves
 * (an ES256 and an RS256 key, plus the dev issuer's key so `api.call({ as })` works), so tests can
 * sign tokens with trusted keys; an attacker's JWKS serves his keys, also under the trusted kids.
 */

export const ROUTE = '/v1/requests';
export const STACK = /\n\s+at |node_modules|\.ts:\d+|\.js:\d+|"stack"/;
export const now = () => Math.floor(Date.now() / 1000);

export function tokenAttackKit(t: typeof t0) {
  const trustedEs = newKey('EC', 'trusted-es');
  const trustedRs = newKey('RSA', 'trusted-rs');
  const evilRs = newKey('RSA', 'evil-rs');
  const evilEs = newKey('EC', 'evil-es');
  let api: ApiHarness;
  let jwks: JwksServer;
  let attacker: JwksServer;
  const attackTokens: string[] = [];

  t.before(async () => {
    jwks = await serveJwks([trustedEs.publicJwk, trustedRs.publicJwk]);
    attacker = await serveJwks([
      evilRs.publicJwk,
      { ...evilRs.publicJwk, kid: trustedRs.kid },
      { ...evilEs.publicJwk, kid: trustedEs.kid },
    ]);
    api = await setupApi(t, { env: { AUTH_JWKS_URL: jwks.url } });
    const dev = (await (await fetch(api.jwksUrl)).json()) as { keys: unknown[] };
    jwks.setKeys([trustedEs.publicJwk, trustedRs.publicJwk, ...dev.keys]);
    t.teardown(async () => {
      await jwks.close();
      await attacker.close();
    });
  });

  /** A 401 problem+json with a Bearer challenge and no internals; a valid token still works afterwards. */
  async function refused(t: Test, name: string, token: string | undefined, headers: Record<string, string> = {}) {
    if (token) attackTokens.push(token);
    const res = await api.call('GET', ROUTE, token === undefined ? { headers } : { token, headers });
    t.equal(res.status, 401, `${name}: 401`);
    t.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, `${name}: problem+json`);
    t.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="breakglass"/, `${name}: Bearer challenge`);
    t.equal(res.body?.status, 401, `${name}: problem status`);
    t.type(res.body?.detail, 'string', `${name}: problem detail`);
    t.notMatch(res.text, STACK, `${name}: no stack trace`);
    t.equal(res.headers.get('x-injected'), null, `${name}: no header injected`);
    const ok = await api.call('GET', ROUTE, { token: sign(trustedEs) });
    t.equal(ok.status, 200, `${name}: a valid token still works afterwards`);
    return res;
  }

  async function accepted(t: Test, name: string, token: string) {
    const res = await api.call('GET', ROUTE, { token });
    t.equal(res.status, 200, `${name}: 200`);
    return res;
  }

  /** Run last: no token this file sent reached a log line. */
  function noTokenLogged() {
    void t.test('no attack token reached a log line', async (t) => {
      const text = api.logs.join('');
      const leaked = attackTokens.filter((token) => token.length > 20 && text.includes(token));
      t.same(leaked, [], 'no attack token is logged');
      t.notOk(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/.test(text), 'nothing token-shaped is logged');
    });
  }

  return {
    trustedEs,
    trustedRs,
    evilRs,
    evilEs,
    refused,
    accepted,
    noTokenLogged,
    get api() {
      return api;
    },
    get jwks() {
      return jwks;
    },
    get attacker() {
      return attacker;
    },
  };
}
