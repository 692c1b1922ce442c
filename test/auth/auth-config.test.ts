import t, { type Test } from 'tap';
import { ConfigError, parseConfig } from '../../src/config';

/** AUTH_ISSUERS, WebAuthn and session settings: validated at start, with messages an operator can act on. */

const GOOD = {
  DATABASE_URL: 'postgres://breakglass:pw@db.internal:5432/breakglass',
  TEMPORAL_ADDRESS: 'temporal.internal:7233',
  KEYVAULT_URL: 'https://contoso-bg.vault.azure.net',
  AUTH_ISSUER: 'https://login.microsoftonline.com/tid/v2.0',
  AUTH_AUDIENCE: 'api-client-id',
  AUTH_JWKS_URL: 'https://login.microsoftonline.com/tid/discovery/v2.0/keys',
};
const PROD = { ...GOOD, NODE_ENV: 'production', ALERT_WEBHOOK_URLS: 'https://hooks.example/x' };
const SECOND = {
  issuer: 'https://idp.second.example/',
  audience: 'breakglass',
  jwksUrl: 'https://idp.second.example/jwks',
};

function refused(t: Test, env: Record<string, string>, pattern: RegExp, label: string) {
  try {
    parseConfig(env);
    t.fail(`${label}: accepted`);
  } catch (error) {
    t.ok(error instanceof ConfigError, `${label}: ConfigError`);
    t.match((error as Error).message, pattern, label);
  }
}

void t.test('AUTH_ISSUERS', async (t) => {
  const config = parseConfig({ ...GOOD, AUTH_ISSUERS: JSON.stringify([SECOND]) });
  t.same(
    config.AUTH_ISSUERS,
    [{ ...SECOND, algorithms: ['RS256', 'ES256'], principal: 'mapping' }],
    'defaults: both algorithms, principal by mapping',
  );
  t.equal(parseConfig(GOOD).AUTH_ISSUERS, undefined, 'optional: the one-issuer form alone still works');
  refused(t, { ...GOOD, AUTH_ISSUERS: '{not json' }, /AUTH_ISSUERS .*JSON array/, 'not JSON');
  refused(t, { ...GOOD, AUTH_ISSUERS: JSON.stringify([{ ...SECOND, jku: 'x' }]) }, /AUTH_ISSUERS/, 'unknown key');
  refused(
    t,
    { ...GOOD, AUTH_ISSUERS: JSON.stringify([{ ...SECOND, algorithms: ['HS256'] }]) },
    /RS256 and\/or ES256/,
    'HMAC refused',
  );
  refused(
    t,
    { ...GOOD, AUTH_ISSUERS: JSON.stringify([SECOND, SECOND]) },
    /each issuer at most once/,
    'duplicate issuer',
  );
  refused(
    t,
    { ...GOOD, AUTH_ISSUERS: JSON.stringify([{ ...SECOND, issuer: GOOD.AUTH_ISSUER }]) },
    /repeats AUTH_ISSUER/,
    'repeats the primary issuer',
  );
  refused(
    t,
    { ...PROD, AUTH_ISSUERS: JSON.stringify([{ ...SECOND, jwksUrl: 'http://idp.second.example/jwks' }]) },
    /jwksUrl wants https/,
    'production wants https JWKS',
  );
});

void t.test('WebAuthn relying party and sessions', async (t) => {
  const config = parseConfig({
    ...GOOD,
    WEBAUTHN_RP_ID: 'breakglass.contoso.com',
    WEBAUTHN_ORIGINS: 'https://breakglass.contoso.com, https://console.breakglass.contoso.com',
  });
  t.same(config.WEBAUTHN_ORIGINS, ['https://breakglass.contoso.com', 'https://console.breakglass.contoso.com']);
  t.equal(config.SESSION_IDLE_TIMEOUT, 'PT15M', 'idle timeout default');
  t.equal(config.SESSION_MAX_LIFETIME, 'PT8H', 'absolute lifetime default');
  refused(t, { ...GOOD, WEBAUTHN_RP_ID: 'breakglass.contoso.com' }, /set together/, 'RP ID without origins');
  refused(
    t,
    { ...GOOD, WEBAUTHN_RP_ID: 'breakglass.contoso.com', WEBAUTHN_ORIGINS: 'https://evil.example' },
    /not on WEBAUTHN_RP_ID/,
    'an origin off the RP ID',
  );
  refused(
    t,
    { ...GOOD, WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGINS: 'https://localhost/path' },
    /origins such as/,
    'an origin with a path',
  );
  refused(
    t,
    { ...PROD, WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGINS: 'http://localhost:3000' },
    /WEBAUTHN_ORIGINS wants https/,
    'production refuses http origins',
  );
  t.ok(
    parseConfig({ ...PROD, WEBAUTHN_RP_ID: 'contoso.com', WEBAUTHN_ORIGINS: 'https://bg.contoso.com' }),
    'production accepts https origins on the RP ID',
  );
  refused(t, { ...GOOD, WEBAUTHN_AAGUIDS: 'not-a-guid' }, /AAGUIDs/, 'AAGUID allow-list format');
  refused(t, { ...GOOD, SESSION_IDLE_TIMEOUT: '15m' }, /SESSION_IDLE_TIMEOUT/, 'durations are ISO-8601');
});
