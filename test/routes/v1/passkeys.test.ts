import t from 'tap';
import { setupApi, type ApiHarness } from '../../helpers/api';
import { SoftAuthenticator } from '../../helpers/authenticator';
import { PEOPLE } from '../../helpers/harness';
import { confirm, confirmedPasskey, enrol, ORIGIN, PASSKEY_ENV, signIn } from '../../helpers/passkeys';
import { eventually } from '../../helpers/wait';

/**
 * Passkeys over real HTTP, verified by @simplewebauthn/server against a software authenticator
 * that makes real P-256 attestations and assertions: enrolment, confirmation by another admin,
 * discoverable sign-in, revocation, and each way a response can be wrong.
 */

const ADMIN = ['BreakGlass.Admin'];
let api: ApiHarness;
t.before(async () => {
  api = await setupApi(t, { env: PASSKEY_ENV });
});

const actions = async () => (await api.h.audit.list(api.h.pool, { limit: 1000 })).map((event) => event.action);
const alerts = (type: string) => api.h.sink.received.filter((alert) => alert.type === type);

void t.test('enrol, self-confirm refused, confirm by another admin, sign in, act with the session', async (t) => {
  const owner = 'admin-owner';
  const { res } = await enrol(api, owner, new SoftAuthenticator(ORIGIN), { roles: ADMIN, fmt: 'packed' });
  t.equal(res.status, 201, 'enrolment with packed self-attestation verifies');
  t.equal(res.body.status, 'pending', 'a new passkey is pending');
  t.notOk('publicKey' in res.body, 'the public key is not echoed');
  const id = res.body.id as string;

  const authenticator = (await enrol(api, 'frank')).authenticator;
  const pendingId = authenticator.credentials[0]!.id;
  const pending = await signIn(api, authenticator);
  t.equal(pending.res.status, 401, 'a pending passkey cannot sign in');
  t.match(pending.res.body.detail, /waiting for an admin to confirm/);

  const self = await api.call('POST', `/v1/passkeys/${id}/confirm`, { as: owner, roles: ADMIN });
  t.equal(self.status, 403, 'an admin cannot confirm their own passkey');
  t.match(self.body.detail, /another admin must/);
  const notAdmin = await api.call('POST', `/v1/passkeys/${pendingId}/confirm`, { as: PEOPLE.approver1 });
  t.equal(notAdmin.status, 403, 'a non-admin cannot confirm');

  const confirmed = await confirm(api, pendingId);
  t.equal(confirmed.status, 200);
  t.equal(confirmed.body.status, 'active');
  t.equal(confirmed.body.confirmedBy, PEOPLE.admin);
  t.equal((await confirm(api, pendingId)).status, 409, 'confirming twice is a conflict');

  const signedIn = await signIn(api, authenticator);
  t.equal(signedIn.res.status, 201, 'sign-in with the confirmed passkey');
  t.match(signedIn.res.body.token, /^bgs_[A-Za-z0-9_-]{43}$/, 'an opaque 256-bit token');
  t.same(signedIn.res.body.session.amr, ['passkey']);
  t.equal(signedIn.res.body.session.principal, 'frank', 'the principal comes from the passkey, no user name typed');
  t.equal(signedIn.res.headers.get('cache-control'), 'no-store');
  const token = signedIn.res.body.token as string;
  const mine = await api.call('GET', '/v1/sessions', { token });
  t.equal(mine.status, 200, 'the session is accepted as a bearer token');
  t.equal(mine.body.items.length, 1);
  t.equal(mine.body.items[0].current, true);
  t.equal((await api.call('GET', '/v1/requests', { token })).status, 200, 'and works on the lifecycle API');

  const replay = await api.call('POST', '/v1/sessions/passkey', { body: { response: signedIn.response } });
  t.equal(replay.status, 401, 'the same assertion replayed is refused');
  t.match(replay.body.detail, /challenge is unknown, already used or expired/);

  const listed = await api.call('GET', '/v1/passkeys?status=pending', { as: PEOPLE.admin, roles: ADMIN });
  t.ok(
    listed.body.items.some((key: { id: string }) => key.id === id),
    'admins list pending passkeys to confirm',
  );
  const others = await api.call('GET', '/v1/passkeys', { as: 'frank' });
  t.ok(
    others.body.items.every((key: { principal: string }) => key.principal === 'frank'),
    'a person lists only their own passkeys',
  );

  // Revocation by the owner ends the passkey and every session it opened, on the next call.
  const revoked = await api.call('POST', `/v1/passkeys/${pendingId}/revoke`, { token });
  t.equal(revoked.status, 200);
  t.equal(revoked.body.status, 'revoked');
  const after = await api.call('GET', '/v1/requests', { token });
  t.equal(after.status, 401, 'its session is refused on the next call');
  t.match(after.body.detail, /revoked/);
  const again = await signIn(api, authenticator);
  t.equal(again.res.status, 401, 'a revoked passkey cannot sign in');
  t.match(again.res.body.detail, /revoked/);

  const recorded = await actions();
  for (const action of [
    'passkey.enrolled',
    'passkey.confirm.refused',
    'passkey.confirmed',
    'session.created',
    'passkey.revoked',
    'session.passkey.refused',
  ]) {
    t.ok(recorded.includes(action), `audited: ${action}`);
  }
  await eventually(
    'passkey alerts',
    () =>
      alerts('passkey.enrolled').length >= 2 &&
      alerts('passkey.confirmed').length >= 1 &&
      alerts('passkey.revoked').length >= 1,
  );
  t.equal(alerts('passkey.enrolled')[0]?.severity, 'high', 'enrolment is a high alert');
});

void t.test('a signature counter that goes backwards is refused and raises a critical alert', async (t) => {
  const authenticator = await confirmedPasskey(api, 'grace');
  t.equal((await signIn(api, authenticator)).res.status, 201, 'counter 1');
  t.equal((await signIn(api, authenticator)).res.status, 201, 'counter 2');
  const clone = await signIn(api, authenticator, { counter: 1 });
  t.equal(clone.res.status, 401, 'a counter of 1 after 2 is refused');
  t.match(clone.res.body.detail, /counter went backwards/);
  const same = await signIn(api, authenticator, { counter: 2 });
  t.equal(same.res.status, 401, 'the same counter again is refused too');
  t.ok((await actions()).includes('passkey.clone_suspected'), 'audited');
  const alert = await eventually('clone alert', () => alerts('passkey.clone_suspected')[0]);
  t.equal(alert.severity, 'critical');
  t.equal(alert.actor, 'grace');
  t.equal(
    (await signIn(api, authenticator)).res.status,
    201,
    'the genuine authenticator, moving forward, still signs in',
  );
});

void t.test('wrong origin, wrong RP ID, missing user verification, stale or foreign challenges', async (t) => {
  const wrongOrigin = await enrol(api, 'heidi', new SoftAuthenticator('https://evil.example'));
  t.equal(wrongOrigin.res.status, 400, 'enrolment from another origin');
  t.match(wrongOrigin.res.body.detail, /origin/i);
  const wrongRp = await enrol(api, 'heidi', undefined, { rpId: 'evil.example' });
  t.equal(wrongRp.res.status, 400, 'enrolment for another RP ID');
  t.match(wrongRp.res.body.detail, /RP ID/i);
  const noUv = await enrol(api, 'heidi', undefined, { uv: false });
  t.equal(noUv.res.status, 400, 'enrolment without user verification');
  t.match(noUv.res.body.detail, /verif/i);

  const authenticator = await confirmedPasskey(api, 'ivan');
  const origin = await signIn(api, authenticator, { origin: 'https://evil.example' });
  t.equal(origin.res.status, 401, 'sign-in from another origin');
  t.match(origin.res.body.detail, /origin/i);
  const rp = await signIn(api, authenticator, { rpId: 'evil.example' });
  t.equal(rp.res.status, 401, 'sign-in for another RP ID');
  t.match(rp.res.body.detail, /RP ID/i);
  const uv = await signIn(api, authenticator, { uv: false });
  t.equal(uv.res.status, 401, 'sign-in without user verification');
  t.match(uv.res.body.detail, /verif/i);
  const invented = await signIn(api, authenticator, { challenge: 'aW52ZW50ZWQtY2hhbGxlbmdl' });
  t.equal(invented.res.status, 401, 'a challenge the service never issued');

  // A registration challenge issued to one person cannot enrol a key for another.
  const options = await api.call('POST', '/v1/passkeys/registration-options', { as: 'judy' });
  const response = new SoftAuthenticator(ORIGIN).register(options.body);
  const foreign = await api.call('POST', '/v1/passkeys', { as: 'mallory', body: { response } });
  t.equal(foreign.status, 400);
  t.match(foreign.body.detail, /issued to someone else/);

  const unknown = await api.call('POST', '/v1/sessions/passkey', {
    body: {
      response: {
        id: 'x',
        rawId: 'x',
        type: 'public-key',
        response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' },
      },
    },
  });
  t.equal(unknown.status, 400, 'garbage is refused');
  const anonymous = await api.call('POST', '/v1/passkeys/registration-options');
  t.equal(anonymous.status, 401, 'enrolment needs a signed-in person');
  t.equal((await signIn(api, authenticator)).res.status, 201, 'after all that, a good sign-in still works');
});

void t.test('an AAGUID allow-list admits only the listed authenticator models', async (t) => {
  const allowed = 'cb69481e-8ff7-4039-93ec-0a2729a154a8';
  const strict = await setupApi(t, { harness: api.h, env: { ...PASSKEY_ENV, WEBAUTHN_AAGUIDS: allowed } });
  const other = await enrol(strict, 'kim', new SoftAuthenticator(ORIGIN, 'ee882879-721c-4913-9775-3dfcce97072a'), {
    fmt: 'packed',
  });
  t.equal(other.res.status, 400, 'another model is refused');
  t.match(other.res.body.detail, /not on the allow-list/);
  t.equal(other.options.attestation, 'direct', 'attestation is asked for when models are restricted');
  const listed = await enrol(strict, 'kim', new SoftAuthenticator(ORIGIN, allowed), { fmt: 'packed' });
  t.equal(listed.res.status, 201, 'a listed model is enrolled');
  t.equal(listed.res.body.aaguid, allowed);
});

void t.test('the OpenAPI document describes sign-in, sessions, passkeys and identity mappings', async (t) => {
  const doc = await api.call('GET', '/openapi.json');
  for (const path of [
    '/v1/sessions/passkey/options',
    '/v1/sessions/passkey',
    '/v1/sessions',
    '/v1/sessions/{id}',
    '/v1/passkeys/registration-options',
    '/v1/passkeys',
    '/v1/passkeys/{id}/confirm',
    '/v1/passkeys/{id}/revoke',
    '/v1/identity-mappings',
  ]) {
    t.ok(doc.body.paths[path], `documents ${path}`);
  }
  t.match(
    JSON.stringify(doc.body.components?.schemas?.Policy ?? {}),
    /revealRequiresPasskey/,
    'the step-up policy field is documented',
  );
});
