import t from 'tap';
import { setupApi, type ApiHarness } from '../helpers/api';
import { PEOPLE } from '../helpers/harness';
import { goodClaims, newKey, serveJwks, sign, type JwksServer } from '../helpers/tokens';
import { DEV_ISSUER } from '../../src/auth/dev-issuer';

/**
 * Two trusted issuers over real HTTP: each token is verified only with the keys of the issuer
 * its iss names, issuer B's identities act only through admin-made mappings (its roles are not
 * trusted), and B's JWKS going down costs B's callers only (503) while /readyz stays ready.
 */

const ISSUER_B = 'https://issuer-b.breakglass.test/';
const AUDIENCE_B = 'api://breakglass-b';
const ADMIN = ['BreakGlass.Admin'];
const keyA = newKey('EC', 'shared-kid');
const keyB = newKey('EC', 'shared-kid'); // the same kid in both sets, on purpose
const onlyA = newKey('RSA', 'only-in-a');

let api: ApiHarness;
let jwksA: JwksServer;
let jwksB: JwksServer;
t.before(async () => {
  jwksA = await serveJwks([keyA.publicJwk, onlyA.publicJwk]);
  jwksB = await serveJwks([keyB.publicJwk]);
  api = await setupApi(t, {
    env: {
      AUTH_JWKS_URL: jwksA.url,
      AUTH_ISSUERS: JSON.stringify([
        { issuer: ISSUER_B, audience: AUDIENCE_B, jwksUrl: jwksB.url, algorithms: ['ES256'] },
      ]),
    },
  });
  const dev = (await (await fetch(api.jwksUrl)).json()) as { keys: unknown[] };
  jwksA.setKeys([keyA.publicJwk, onlyA.publicJwk, ...dev.keys]);
  t.teardown(async () => {
    await jwksA.close();
    await jwksB.close();
  });
});

const claimsB = (subject: string, extra: Record<string, unknown> = {}) =>
  goodClaims({ iss: ISSUER_B, aud: AUDIENCE_B, sub: subject, oid: undefined, ...extra });

void t.test('a token is verified only with the keys of the issuer its iss names', async (t) => {
  t.equal((await api.call('GET', '/v1/requests', { token: sign(keyA) })).status, 200, 'issuer A token with A’s key');

  const forged = await api.call('GET', '/v1/requests', { token: sign(keyA, claimsB('b-user')) });
  t.equal(forged.status, 401, 'a token claiming issuer B signed with A’s key (same kid) is refused');
  const bRequests = jwksB.requests.length;
  const aRequests = jwksA.requests.length;
  const claimsA = await api.call('GET', '/v1/requests', { token: sign(keyB, goodClaims()) });
  t.equal(claimsA.status, 401, 'a token claiming issuer A signed with B’s key is refused');
  const unknownKid = await api.call('GET', '/v1/requests', {
    token: sign(newKey('EC', 'never-seen'), goodClaims({ sub: 'x' })),
  });
  t.equal(unknownKid.status, 401);
  t.equal(jwksB.requests.length, bRequests, 'issuer B’s JWKS was never fetched for tokens claiming issuer A');
  t.ok(jwksA.requests.length >= aRequests, 'issuer A’s own JWKS answers for them');

  const onlyInA = await api.call('GET', '/v1/requests', { token: sign(onlyA, claimsB('b-user')) });
  t.equal(onlyInA.status, 401, 'an RS256 key of A claiming B: B pins ES256 and has no such key');
  const wrongAud = await api.call('GET', '/v1/requests', {
    token: sign(keyB, claimsB('b-user', { aud: goodClaims().aud })),
  });
  t.equal(wrongAud.status, 401, 'issuer B’s token with issuer A’s audience is refused');
  t.match(wrongAud.body.detail, /audience/);
  const untrusted = await api.call('GET', '/v1/requests', {
    token: sign(keyB, claimsB('b-user', { iss: 'https://issuer-b.breakglass.test' })),
  });
  t.equal(untrusted.status, 401, 'an iss that differs by a trailing slash is not issuer B');
  t.match(untrusted.body.detail, /issuer/);
});

void t.test('issuer B’s identities act only through an admin-managed mapping, never by a name claim', async (t) => {
  const { account } = await api.h.createAccount();
  const unmapped = await api.call('GET', '/v1/requests', {
    token: sign(
      keyB,
      claimsB('b-alice', { email: `${PEOPLE.requester}@contoso.com`, preferred_username: PEOPLE.requester }),
    ),
  });
  t.equal(unmapped.status, 403, 'an unmapped identity is refused, whatever its email or name');
  t.match(unmapped.body.detail, /not mapped to a Breakglass principal/);

  const notAdmin = await api.call('POST', '/v1/identity-mappings', {
    as: PEOPLE.requester,
    body: { issuer: ISSUER_B, subject: 'b-alice', principal: PEOPLE.requester },
  });
  t.equal(notAdmin.status, 403, 'only admins map identities');
  const unknownIssuer = await api.call('POST', '/v1/identity-mappings', {
    as: PEOPLE.admin,
    roles: ADMIN,
    body: { issuer: 'https://nowhere/', subject: 'x', principal: PEOPLE.requester },
  });
  t.equal(unknownIssuer.status, 400, 'a mapping for an issuer that is not configured');
  const mapped = await api.call('POST', '/v1/identity-mappings', {
    as: PEOPLE.admin,
    roles: ADMIN,
    body: { issuer: ISSUER_B, subject: 'b-alice', principal: PEOPLE.requester },
  });
  t.equal(mapped.status, 201);
  t.equal(
    (
      await api.call('POST', '/v1/identity-mappings', {
        as: PEOPLE.admin,
        roles: ADMIN,
        body: { issuer: ISSUER_B, subject: 'b-alice', principal: 'x' },
      })
    ).status,
    409,
    'a subject maps once',
  );

  const tokenB = sign(keyB, claimsB('b-alice', { roles: ADMIN }));
  const created = await api.call('POST', '/v1/requests', {
    token: tokenB,
    body: { accountId: account.id, scenario: 'federation_outage', justification: 'Entra sign-in down' },
  });
  t.equal(created.status, 201, 'the mapped identity acts as its principal');
  t.equal(created.body.requester, PEOPLE.requester);
  const adminOnly = await api.call('GET', '/v1/identity-mappings', { token: tokenB });
  t.equal(adminOnly.status, 403, 'issuer B’s roles claim is not trusted');
  await api.call('POST', `/v1/requests/${created.body.id}/cancel`, { token: tokenB, body: {} });

  const removed = await api.call(
    'DELETE',
    `/v1/identity-mappings?issuer=${encodeURIComponent(ISSUER_B)}&subject=b-alice`,
    { as: PEOPLE.admin, roles: ADMIN },
  );
  t.equal(removed.status, 200);
  t.equal(
    (await api.call('GET', '/v1/requests', { token: tokenB })).status,
    403,
    'refused again from the next call after removal',
  );
  const actions = (await api.h.audit.list(api.h.pool, { limit: 1000 })).map((event) => event.action);
  for (const action of [
    'auth.refused',
    'identity_mapping.created',
    'identity_mapping.removed',
    'identity_mapping.create.refused',
  ])
    t.ok(actions.includes(action), `audited: ${action}`);
});

void t.test(
  'issuer B’s JWKS down: its tokens get 503, issuer A keeps working, /readyz stays ready and names B',
  async (t) => {
    jwksB.setStatus(500);
    // A fresh kid forces B's key set to be fetched (B's existing key stays usable: last good set kept).
    const fresh = newKey('EC', 'b-rotated');
    const res = await api.call('GET', '/v1/requests', { token: sign(fresh, claimsB('b-alice')) });
    t.equal(res.status, 401, 'B’s previously fetched keys are kept; an unknown kid while B is down is 401');
    t.equal((await api.call('GET', '/v1/requests', { token: sign(keyA) })).status, 200, 'issuer A unaffected');
    const ready = await api.call('GET', '/readyz');
    t.equal(ready.status, 200, 'ready: another way in works');
    const b = ready.body.identity.issuers.find((issuer: { issuer: string }) => issuer.issuer === ISSUER_B);
    t.equal(b.state, 'degraded', 'issuer B reported degraded (last good keys held)');
    t.equal(ready.body.identity.issuers.find((issuer: { issuer: string }) => issuer.issuer === DEV_ISSUER).state, 'ok');
    jwksB.setStatus(200);
  },
);
