import t from 'tap';
import { createServer } from 'node:net';
import { setupApi } from '../../helpers/api';
import { newKey, serveJwks, sign } from '../../helpers/tokens';
import { ROUTE, STACK } from '../../helpers/token-attacks';

/**
 * Keys come from the configured JWKS, fetched again on rotation without a restart, within limits
 * (an unknown kid cannot make the API a JWKS request amplifier), and the last good set is kept
 * while the endpoint fails; before any key was fetched, an unreachable JWKS is a 503, not a 401.
 */

const trustedEs = newKey('EC', 'trusted-es');

void t.test('key rotation through a JWKS this test controls', async (t) => {
  const keyA = newKey('EC', 'rotation-a');
  const keyB = newKey('RSA', 'rotation-b');
  const keyC = newKey('EC', 'rotation-c');
  const rotating = await serveJwks([keyA.publicJwk]);
  t.teardown(() => rotating.close());
  const api2 = await setupApi(t, { env: { AUTH_JWKS_URL: rotating.url } });
  const get = (token: string) => api2.call('GET', ROUTE, { token });
  const fetches = () => rotating.requests.length;

  t.equal((await get(sign(keyA))).status, 200, 'key A works');
  t.equal(fetches(), 1, 'the key set was fetched once');
  t.equal((await get(sign(keyA))).status, 200, 'key A again, from the cached set');
  t.equal(fetches(), 1, 'no refetch for a known kid');

  rotating.setKeys([keyB.publicJwk]);
  t.equal(
    (await get(sign(keyB))).status,
    200,
    'after rotation to B only, a key B token (RS256) works without a restart',
  );
  t.equal(fetches(), 2, 'the unknown kid made exactly one refetch');

  // The whole set is replaced on each fetch, so a key the issuer removed is refused as soon as
  // the service has seen the new set (and at the latest after the 10-minute set TTL). Before this
  // was fixed, get-jwks cached keys one by one and, on a failed lookup, fell back to a stale copy
  // it kept refreshing: a removed key stayed valid for as long as somebody kept presenting it.
  const removed = await get(sign(keyA));
  t.equal(removed.status, 401, 'a token of the removed key A is refused immediately');
  t.match(removed.body.detail, /key id/, 'because its kid is no longer in the key set');
  t.equal(fetches(), 2, 'and it did not trigger another fetch (refetch cooldown)');

  // Unknown kids cannot turn the API into a JWKS request amplifier.
  const flood = () =>
    Promise.all(Array.from({ length: 25 }, (_, i) => get(sign({ ...keyB, kid: `junk-${i}-${Math.random()}` }))));
  const first = await flood();
  t.ok(
    first.every((res) => res.status === 401),
    '25 unknown kids at once: all 401',
  );
  t.equal(fetches(), 2, 'inside the cooldown: no fetch at all');
  await new Promise((resolve) => setTimeout(resolve, 5_500));
  const second = await flood();
  t.ok(
    second.every((res) => res.status === 401),
    'after the cooldown: all 401 again',
  );
  t.equal(fetches(), 3, 'after the cooldown: one coalesced fetch for 25 unknown kids');

  // The identity provider's JWKS endpoint fails: the last good set keeps working.
  rotating.setStatus(500);
  await new Promise((resolve) => setTimeout(resolve, 5_500));
  t.equal((await get(sign(keyC))).status, 401, 'a new kid while the JWKS endpoint fails: 401');
  t.equal(fetches(), 4, 'one attempt was made');
  t.equal((await get(sign(keyB))).status, 200, 'key B still works on the last good set');

  rotating.setStatus(200);
  rotating.setKeys([keyB.publicJwk, keyC.publicJwk]);
  await new Promise((resolve) => setTimeout(resolve, 5_500));
  t.equal((await get(sign(keyC))).status, 200, 'once the endpoint is back, key C works');
  t.equal((await get(sign(keyB))).status, 200, 'and key B still does');
});

void t.test('JWKS unreachable before any key was fetched: 503, not 401', async (t) => {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  const api3 = await setupApi(t, { env: { AUTH_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json` } });
  const res = await api3.call('GET', ROUTE, { token: sign(trustedEs) });
  t.equal(res.status, 503, 'a caller whose token may be fine is told the service cannot check it now');
  t.match(res.headers.get('content-type'), /^application\/problem\+json/);
  t.match(res.body.detail, /AUTH_JWKS_URL/, 'the problem names the identity provider keys');
  t.notMatch(res.text, STACK, 'no stack trace');
  const missing = await api3.call('GET', ROUTE);
  t.equal(missing.status, 401, 'no token at all is still a 401');
});
