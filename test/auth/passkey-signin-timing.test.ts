import t from 'tap';
import { setupApi } from '../helpers/api';
import { PEOPLE } from '../helpers/harness';
import { confirmedPasskey, PASSKEY_ENV, signIn } from '../helpers/passkeys';

/**
 * What a passkey sign-in costs, next to a JWT-authenticated call in the same run: 100 of each,
 * one after the other over real HTTP, medians printed (see the README's passkey section).
 */

const RUNS = 100;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};
const p95 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.ceil(values.length * 0.95) - 1]!;

void t.test(`passkey sign-in (options + verification) vs a JWT-authenticated call, median of ${RUNS}`, async (t) => {
  const api = await setupApi(t, { env: PASSKEY_ENV });
  const authenticator = await confirmedPasskey(api, PEOPLE.requester);
  await api.call('GET', '/v1/requests', { as: PEOPLE.requester }); // warm: keys fetched, token minted

  const signIns: number[] = [];
  let token = '';
  for (let i = 0; i < RUNS; i += 1) {
    const started = performance.now();
    const { res } = await signIn(api, authenticator);
    signIns.push(performance.now() - started);
    if (res.status !== 201) t.fail(`sign-in ${i}: ${res.status} ${res.text}`);
    token = res.body.token;
  }
  const jwtCalls: number[] = [];
  const sessionCalls: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    let started = performance.now();
    const byJwt = await api.call('GET', '/v1/requests', { as: PEOPLE.requester });
    jwtCalls.push(performance.now() - started);
    started = performance.now();
    const bySession = await api.call('GET', '/v1/requests', { token });
    sessionCalls.push(performance.now() - started);
    if (byJwt.status !== 200 || bySession.status !== 200) t.fail(`call ${i}: ${byJwt.status}/${bySession.status}`);
  }
  const line = (name: string, values: number[]) =>
    `${name}: median ${median(values).toFixed(1)} ms, p95 ${p95(values).toFixed(1)} ms (n=${values.length})`;
  t.comment(line('passkey sign-in (2 round trips)', signIns));
  t.comment(line('GET /v1/requests with a JWT', jwtCalls));
  t.comment(line('GET /v1/requests with a passkey session', sessionCalls));
  t.equal(signIns.length, RUNS, `${RUNS} passkey sign-ins, each one verified`);
  t.ok(median(signIns) < 1_000, 'a passkey sign-in takes well under a second');
});
