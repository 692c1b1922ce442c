import t from 'tap';
import { createSessions } from '../../src/auth/sessions';
import { setupApi, type ApiHarness } from '../helpers/api';
import { PEOPLE } from '../helpers/harness';

/**
 * Service sessions through the real API: accepted as bearer tokens beside issuers' JWTs, listed
 * and revoked by their owner (and by admins), ended by the idle timeout and the absolute
 * lifetime, and stored only as hashes.
 */

const ADMIN = ['BreakGlass.Admin'];
const IDLE_MS = 1_500;
const MAX_MS = 4_000;
let api: ApiHarness;
let sessions: ReturnType<typeof createSessions>;
t.before(async () => {
  api = await setupApi(t, { env: { SESSION_IDLE_TIMEOUT: 'PT1.5S', SESSION_MAX_LIFETIME: 'PT4S' } });
  sessions = createSessions({ pool: api.h.pool, idleMs: IDLE_MS, maxMs: MAX_MS });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const open = async (principal: string) =>
  (await sessions.create({ id: principal, roles: [] }, ['passkey'], new Date())).token;

void t.test(
  'a session is a bearer token; the owner lists and revokes it; revocation holds from the next call',
  async (t) => {
    const token = await open('kate');
    const other = await open('kate');
    const list = await api.call('GET', '/v1/sessions', { token });
    t.equal(list.status, 200);
    t.equal(list.body.items.length, 2, 'both of her sessions');
    const current = list.body.items.find((item: { current: boolean }) => item.current);
    t.same(current.amr, ['passkey']);
    t.notOk(list.text.includes(token), 'no token in the listing');

    const otherId = list.body.items.find((item: { current: boolean }) => !item.current).id as string;
    const revoked = await api.call('DELETE', `/v1/sessions/${otherId}`, { token });
    t.equal(revoked.status, 200);
    t.ok(revoked.body.revokedAt, 'revocation time recorded');
    const refused = await api.call('GET', '/v1/requests', { token: other });
    t.equal(refused.status, 401, 'the revoked session is refused on its next call');
    t.match(refused.body.detail, /revoked/);
    t.match(refused.headers.get('www-authenticate'), /error="invalid_token"/);
    t.equal((await api.call('GET', '/v1/requests', { token })).status, 200, 'her other session still works');

    // Another person cannot see or revoke it; an admin can.
    const { id } = current as { id: string };
    const foreign = await api.call('DELETE', `/v1/sessions/${id}`, { as: PEOPLE.stranger });
    t.equal(foreign.status, 404, "someone else's session is not found for a stranger");
    const adminList = await api.call('GET', '/v1/sessions?principal=kate', { as: PEOPLE.admin, roles: ADMIN });
    t.equal(adminList.body.items.length, 1, 'an admin lists her live sessions');
    const byAdmin = await api.call('DELETE', `/v1/sessions/${id}`, { as: PEOPLE.admin, roles: ADMIN });
    t.equal(byAdmin.status, 200, 'an admin revokes anyone’s session');
    t.equal((await api.call('GET', '/v1/requests', { token })).status, 401, 'and it is refused at once');

    const events = await api.h.audit.list(api.h.pool, { limit: 1000 });
    t.equal(events.filter((event) => event.action === 'session.revoked').length, 2, 'revocations audited');
    t.ok(
      events.some((event) => event.action === 'session.revoke.refused'),
      'the stranger’s attempt audited',
    );

    const stored = await api.h.pool.query('SELECT * FROM sessions');
    const dump = JSON.stringify(stored.rows);
    t.notOk(dump.includes(token) || dump.includes(other), 'tokens are stored only as hashes');
  },
);

void t.test('idle timeout and absolute lifetime', async (t) => {
  const idle = await open('liam');
  await sleep(IDLE_MS + 300);
  const res = await api.call('GET', '/v1/requests', { token: idle });
  t.equal(res.status, 401, 'unused for longer than the idle timeout');
  t.match(res.body.detail, /idle/);

  const busy = await open('liam');
  const started = Date.now();
  while (Date.now() - started < MAX_MS - 800) {
    t.equal(
      (await api.call('GET', '/v1/requests', { token: busy })).status,
      200,
      'used within the idle timeout: still valid',
    );
    await sleep(700);
  }
  await sleep(Math.max(0, MAX_MS + 200 - (Date.now() - started)));
  const expired = await api.call('GET', '/v1/requests', { token: busy });
  t.equal(expired.status, 401, 'past the absolute lifetime even when busy');
  t.match(expired.body.detail, /maximum lifetime/);
});

void t.test('unknown and malformed session tokens', async (t) => {
  const unknown = await api.call('GET', '/v1/requests', { token: `bgs_${'A'.repeat(43)}` });
  t.equal(unknown.status, 401);
  t.match(unknown.body.detail, /unknown/);
  const short = await api.call('GET', '/v1/requests', { token: 'bgs_short' });
  t.equal(short.status, 401);
  t.match(short.body.detail, /malformed/);
});
