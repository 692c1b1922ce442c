import t from 'tap';
import { b64url, encodePart, goodClaims, jwt, randomSecret, sign, signRaw, type TestKey } from '../../helpers/tokens';
import { PEOPLE } from '../../helpers/harness';
import { DEV_AUDIENCE, DEV_ISSUER } from '../../../src/auth/dev-issuer';
import { ROUTE, now, tokenAttackKit } from '../../helpers/token-attacks';
import { createSign } from 'node:crypto';
/**
 * Token attacks over real HTTP: every forged, stale, misdirected or malformed token is answered
 * 401 problem+json with a Bearer challenge and no internals, a valid token keeps working on the
 * same route, and keys come only from the configured JWKS (an attacker's JWKS is never fetched).
 */

const kit = tokenAttackKit(t);
const { trustedEs, trustedRs, evilRs, evilEs, refused, accepted } = kit;

void t.test('valid tokens work: ES256, RS256 and the dev issuer', async (t) => {
  await accepted(t, 'ES256 token', sign(trustedEs));
  await accepted(t, 'RS256 token from an RSA key', sign(trustedRs));
  const dev = await kit.api.call('GET', ROUTE, { as: PEOPLE.requester });
  t.equal(dev.status, 200, 'dev issuer token');
  // Entra v1 tokens carry oid; tokens with only sub work as well.
  await accepted(t, 'sub only, no oid', sign(trustedEs, goodClaims({ oid: undefined, sub: 'only-sub' })));
});

void t.test('missing or malformed Authorization header', async (t) => {
  const none = await refused(t, 'no Authorization header', undefined);
  t.equal(
    none.headers.get('www-authenticate'),
    'Bearer realm="breakglass"',
    'no credentials: a bare challenge without an error code (RFC 6750 §3.1)',
  );
  await refused(t, 'Basic scheme', undefined, { authorization: 'Basic dXNlcjpwYXNz' });
  await refused(t, 'Bearer with nothing after it', undefined, { authorization: 'Bearer' });
  await refused(t, 'Bearer with a blank token', undefined, { authorization: 'Bearer   ' });
  await refused(t, 'Bearer with two tokens', undefined, {
    authorization: `Bearer ${sign(trustedEs)} ${sign(trustedEs)}`,
  });
  await refused(t, 'token in another scheme', undefined, { authorization: `Token ${sign(trustedEs)}` });
  const invalid = await refused(t, 'garbage token', 'garbage');
  t.match(
    invalid.headers.get('www-authenticate'),
    /error="invalid_token"/,
    'a presented bad token gets error="invalid_token"',
  );
});

void t.test('alg none: unsigned tokens with good claims', async (t) => {
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    await refused(t, `alg ${alg}, no kid`, jwt({ alg, typ: 'JWT' }, goodClaims(), null));
    await refused(
      t,
      `alg ${alg} with the trusted kid`,
      jwt({ alg, kid: trustedEs.kid, typ: 'JWT' }, goodClaims(), null),
    );
  }
  await refused(
    t,
    'alg none with a signature appended',
    `${jwt({ alg: 'none', kid: trustedEs.kid }, goodClaims(), null)}${b64url('sig')}`,
  );
  await refused(t, 'no alg at all', jwt({ kid: trustedEs.kid, typ: 'JWT' }, goodClaims(), null));
  // The signature of a real token stripped off.
  const real = sign(trustedEs).split('.');
  await refused(t, 'a real token with its signature stripped', `${real[0]}.${real[1]}.`);
  await refused(
    t,
    'a real header with alg none swapped in',
    `${encodePart({ alg: 'none', kid: trustedEs.kid })}.${real[1]}.${real[2]}`,
  );
});

void t.test('HMAC key confusion: HS256 signed with the public key, and with a random secret', async (t) => {
  const rsJwk = trustedRs.publicJwk;
  const esJwk = trustedEs.publicJwk;
  const devJwk = (
    (await (await fetch(kit.api.jwksUrl)).json()) as { keys: Array<{ kid: string; x: string; y: string }> }
  ).keys[0]!;
  const materials: Array<[string, string, Buffer | string]> = [
    [
      'RSA public key as SPKI PEM',
      trustedRs.kid,
      trustedRs.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    ],
    [
      'RSA public key as PKCS#1 PEM',
      trustedRs.kid,
      trustedRs.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string,
    ],
    ['RSA public key as SPKI DER', trustedRs.kid, trustedRs.publicKey.export({ type: 'spki', format: 'der' })],
    ['RSA JWK as JSON', trustedRs.kid, JSON.stringify(rsJwk)],
    ['RSA JWK modulus bytes (n)', trustedRs.kid, Buffer.from(rsJwk.n!, 'base64url')],
    ['RSA JWK modulus as its base64url text', trustedRs.kid, rsJwk.n!],
    ['EC public key as SPKI PEM', trustedEs.kid, trustedEs.publicKey.export({ type: 'spki', format: 'pem' }) as string],
    ['EC JWK as JSON', trustedEs.kid, JSON.stringify(esJwk)],
    [
      'EC JWK point bytes (x||y)',
      trustedEs.kid,
      Buffer.concat([Buffer.from(esJwk.x!, 'base64url'), Buffer.from(esJwk.y!, 'base64url')]),
    ],
    [
      'EC JWK uncompressed point (04||x||y)',
      trustedEs.kid,
      Buffer.concat([Buffer.from([4]), Buffer.from(esJwk.x!, 'base64url'), Buffer.from(esJwk.y!, 'base64url')]),
    ],
    [
      'dev issuer JWK point bytes',
      devJwk.kid,
      Buffer.concat([Buffer.from(devJwk.x, 'base64url'), Buffer.from(devJwk.y, 'base64url')]),
    ],
    ['dev issuer JWK as JSON', devJwk.kid, JSON.stringify(devJwk)],
  ];
  for (const [what, kid, secret] of materials) {
    await refused(t, `HS256 with ${what}`, jwt({ alg: 'HS256', kid, typ: 'JWT' }, goodClaims(), secret));
  }
  const pem = trustedRs.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  await refused(t, 'HS384 with the RSA PEM', jwt({ alg: 'HS384', kid: trustedRs.kid }, goodClaims(), pem));
  await refused(t, 'HS512 with the RSA PEM', jwt({ alg: 'HS512', kid: trustedRs.kid }, goodClaims(), pem));
  await refused(
    t,
    'HS256 with a random secret',
    jwt({ alg: 'HS256', kid: trustedEs.kid }, goodClaims(), randomSecret()),
  );
  await refused(t, 'HS256 with a random secret and no kid', jwt({ alg: 'HS256' }, goodClaims(), randomSecret()));
});

void t.test("an attacker's own key under the right kid", async (t) => {
  await refused(
    t,
    'RS256 signed by an attacker RSA key with the trusted RSA kid',
    sign({ ...evilRs, kid: trustedRs.kid } as TestKey),
  );
  await refused(
    t,
    'ES256 signed by an attacker EC key with the trusted EC kid',
    sign({ ...evilEs, kid: trustedEs.kid } as TestKey),
  );
  await refused(t, "RS256 signed by an attacker key under the attacker's kid", sign(evilRs));
});

void t.test('keys offered by the token (jku, x5u, jwk, iss) are never used nor fetched', async (t) => {
  const before = kit.attacker.requests.length;
  const attackerOrigin = new URL(kit.attacker.url).origin;
  await refused(t, 'jku to an attacker JWKS, attacker kid', sign(evilRs, goodClaims(), { jku: kit.attacker.url }));
  await refused(
    t,
    'jku to an attacker JWKS, trusted kid',
    sign({ ...evilRs, kid: trustedRs.kid } as TestKey, goodClaims(), { jku: kit.attacker.url }),
  );
  await refused(
    t,
    'jku to an attacker JWKS, EC',
    sign({ ...evilEs, kid: trustedEs.kid } as TestKey, goodClaims(), { jku: kit.attacker.url }),
  );
  await refused(
    t,
    'x5u to an attacker certificate URL',
    sign(evilRs, goodClaims(), { x5u: `${attackerOrigin}/cert.pem` }),
  );
  await refused(
    t,
    'x5u with the trusted kid',
    sign({ ...evilRs, kid: trustedRs.kid } as TestKey, goodClaims(), { x5u: `${attackerOrigin}/cert.pem` }),
  );
  await refused(
    t,
    'embedded jwk of the attacker key, attacker kid',
    sign(evilRs, goodClaims(), { jwk: evilRs.publicJwk }),
  );
  await refused(
    t,
    'embedded jwk of the attacker key, trusted kid',
    sign({ ...evilRs, kid: trustedRs.kid } as TestKey, goodClaims(), {
      jwk: { ...evilRs.publicJwk, kid: trustedRs.kid },
    }),
  );
  await refused(
    t,
    'embedded jwk without kid',
    jwt({ alg: 'ES256', jwk: evilEs.publicJwk }, goodClaims(), evilEs.privateKey),
  );
  // A JWKS helper fed the token's unverified issuer would fetch attacker keys from there.
  await refused(t, 'issuer set to the attacker origin', sign(evilRs, goodClaims({ iss: `${attackerOrigin}/` })));
  await refused(
    t,
    'issuer set to the attacker JWKS URL',
    sign(evilRs, goodClaims({ iss: kit.attacker.url }), { jku: kit.attacker.url }),
  );
  t.equal(kit.attacker.requests.length - before, 0, 'the attacker JWKS server was never contacted');
  t.same(kit.attacker.requests, [], 'no request of any kind reached the attacker');
});

void t.test('time claims: expired and not yet valid beyond the 5 s skew; within it accepted', async (t) => {
  await refused(
    t,
    'expired 60 s ago',
    sign(trustedEs, goodClaims({ iat: now() - 3600, nbf: now() - 3600, exp: now() - 60 })),
  );
  await refused(
    t,
    'expired 10 s ago',
    sign(trustedEs, goodClaims({ iat: now() - 3600, nbf: now() - 3600, exp: now() - 10 })),
  );
  await refused(
    t,
    'expired a day ago (RS256)',
    sign(trustedRs, goodClaims({ iat: now() - 90_000, nbf: now() - 90_000, exp: now() - 86_400 })),
  );
  await refused(t, 'not valid before 60 s from now', sign(trustedEs, goodClaims({ nbf: now() + 60 })));
  await refused(t, 'not valid before 10 s from now', sign(trustedEs, goodClaims({ nbf: now() + 10 })));
  await refused(t, 'no exp claim', sign(trustedEs, goodClaims({ exp: undefined })));
  await refused(t, 'exp as a string', sign(trustedEs, goodClaims({ exp: String(now() + 3600) })));
  // The skew is AUTH_CLOCK_SKEW_SECONDS=5 seconds (not milliseconds): small drift is tolerated.
  await accepted(t, 'expired 2 s ago (within skew)', sign(trustedEs, goodClaims({ exp: now() - 2 })));
  await accepted(t, 'valid from 2 s from now (within skew)', sign(trustedEs, goodClaims({ nbf: now() + 2 })));
});

void t.test('issuer and audience compared exactly', async (t) => {
  await refused(
    t,
    'wrong issuer',
    sign(trustedEs, goodClaims({ iss: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0' })),
  );
  await refused(t, 'issuer with a trailing slash', sign(trustedEs, goodClaims({ iss: `${DEV_ISSUER}/` })));
  await refused(
    t,
    'issuer without its last path segment',
    sign(trustedEs, goodClaims({ iss: DEV_ISSUER.replace(/\/issuer$/, '') })),
  );
  await refused(t, 'issuer in upper case', sign(trustedEs, goodClaims({ iss: DEV_ISSUER.toUpperCase() })));
  await refused(t, 'issuer with a prefix', sign(trustedEs, goodClaims({ iss: `x${DEV_ISSUER}` })));
  await refused(t, 'issuer missing', sign(trustedEs, goodClaims({ iss: undefined })));
  await refused(t, 'issuer as an array containing ours', sign(trustedEs, goodClaims({ iss: [DEV_ISSUER] })));
  await refused(t, 'wrong audience', sign(trustedEs, goodClaims({ aud: 'api://someone-else' })));
  await refused(t, 'audience with a trailing slash', sign(trustedEs, goodClaims({ aud: `${DEV_AUDIENCE}/` })));
  await refused(
    t,
    'audience array not containing ours',
    sign(trustedEs, goodClaims({ aud: ['api://someone-else', 'https://graph.microsoft.com'] })),
  );
  await refused(t, 'audience empty array', sign(trustedEs, goodClaims({ aud: [] })));
  await refused(t, 'audience missing', sign(trustedEs, goodClaims({ aud: undefined })));
  // RFC 7519 §4.1.3: an audience array is acceptable when it contains ours.
  await accepted(
    t,
    'audience array containing ours',
    sign(trustedEs, goodClaims({ aud: ['api://someone-else', DEV_AUDIENCE] })),
  );
});

void t.test('key ids: unknown, missing, odd', async (t) => {
  await refused(t, 'unknown kid', sign({ ...trustedEs, kid: 'no-such-kid' }));
  await refused(t, 'no kid', jwt({ alg: 'ES256', typ: 'JWT' }, goodClaims(), trustedEs.privateKey));
  await refused(t, 'numeric kid', jwt({ alg: 'ES256', kid: 1 }, goodClaims(), trustedEs.privateKey));
  await refused(t, 'empty kid', jwt({ alg: 'ES256', kid: '' }, goodClaims(), trustedEs.privateKey));
  await refused(t, 'kid that looks like a path', sign({ ...trustedEs, kid: '../../etc/passwd' }));
  await refused(t, 'critical header extension', sign(trustedEs, goodClaims(), { crit: ['exp'] }));
});

void t.test('the real keys under other algorithms (key type mismatch)', async (t) => {
  const header = (alg: string, kid: string) => ({ alg, kid, typ: 'JWT' });
  await refused(
    t,
    'ES384 signed by the real P-256 key',
    jwt(header('ES384', trustedEs.kid), goodClaims(), trustedEs.privateKey),
  );
  await refused(
    t,
    'ES512 signed by the real P-256 key',
    jwt(header('ES512', trustedEs.kid), goodClaims(), trustedEs.privateKey),
  );
  await refused(
    t,
    'PS256 signed by the real RSA key',
    jwt(header('PS256', trustedRs.kid), goodClaims(), trustedRs.privateKey),
  );
  await refused(
    t,
    'RS384 signed by the real RSA key',
    jwt(header('RS384', trustedRs.kid), goodClaims(), trustedRs.privateKey),
  );
  await refused(
    t,
    'RS512 signed by the real RSA key',
    jwt(header('RS512', trustedRs.kid), goodClaims(), trustedRs.privateKey),
  );
  // Pinned algorithm, wrong key type for it.
  const rsInput = `${encodePart(header('ES256', trustedRs.kid))}.${encodePart(goodClaims())}`;
  await refused(
    t,
    'alg ES256 with the RSA kid (RSA signature)',
    `${rsInput}.${b64url(signRaw('RS256', trustedRs.privateKey, rsInput))}`,
  );
  const esInput = `${encodePart(header('RS256', trustedEs.kid))}.${encodePart(goodClaims())}`;
  await refused(
    t,
    'alg RS256 with the EC kid (EC signature)',
    `${esInput}.${b64url(signRaw('ES256', trustedEs.privateKey, esInput))}`,
  );
  // A DER (not JOSE) encoded ECDSA signature.
  const derInput = `${encodePart(header('ES256', trustedEs.kid))}.${encodePart(goodClaims())}`;
  await refused(
    t,
    'ES256 with a DER-encoded signature',
    `${derInput}.${b64url(createSign('sha256').update(derInput).sign(trustedEs.privateKey))}`,
  );
});

void t.test('garbage', async (t) => {
  const good = sign(trustedEs).split('.');
  const cases: Array<[string, string]> = [
    ['a word', 'garbage'],
    ['three dots of nothing', '..'],
    ['a.b.c', 'a.b.c'],
    ['two parts', `${good[0]}.${good[1]}`],
    ['four parts', `${good.join('.')}.${good[2]}`],
    ['header not JSON', `${b64url('not json')}.${good[1]}.${good[2]}`],
    ['header a JSON array', `${b64url('["ES256"]')}.${good[1]}.${good[2]}`],
    ['header JSON null', `${b64url('null')}.${good[1]}.${good[2]}`],
    [
      'payload not JSON, signed by the real key',
      jwt({ alg: 'ES256', kid: trustedEs.kid }, 'hello', trustedEs.privateKey),
    ],
    [
      'payload a JSON array, signed by the real key',
      jwt({ alg: 'ES256', kid: trustedEs.kid }, '[1,2]', trustedEs.privateKey),
    ],
    ['signature of another token', `${good[0]}.${encodePart(goodClaims({ oid: 'someone-else' }))}.${good[2]}`],
    [
      'flipped signature bit',
      `${good[0]}.${good[1]}.${b64url(Buffer.from(Buffer.from(good[2]!, 'base64url').map((byte, i) => (i === 5 ? byte ^ 1 : byte))))}`,
    ],
    ['non-base64url characters', `${good[0]}!.${good[1]}.${good[2]}`],
    ['long random text', b64url(randomSecret()).repeat(120)],
    ['a JSON object', '{"alg":"none"}'],
  ];
  for (const [what, token] of cases) await refused(t, `garbage: ${what}`, token);
});

void t.test('header values that would break the challenge header are not echoed', async (t) => {
  await refused(
    t,
    'alg with CRLF and a header',
    jwt({ alg: 'ES256\r\nX-Injected: yes', kid: trustedEs.kid }, goodClaims(), null),
  );
  await refused(t, 'alg with non-Latin characters', jwt({ alg: 'ES256€✓', kid: trustedEs.kid }, goodClaims(), null));
  await refused(t, 'alg with quotes', jwt({ alg: 'x", error="none', kid: trustedEs.kid }, goodClaims(), null));
  await refused(t, 'alg as an object', jwt({ alg: { toString: 'ES256' }, kid: trustedEs.kid }, goodClaims(), null));
  await refused(t, 'very long alg', jwt({ alg: 'A'.repeat(3000), kid: trustedEs.kid }, goodClaims(), null));
});

kit.noTokenLogged();
