import t from 'tap';
import { parseConfig } from '../src/config';
import { GOOD, without, refused, refusedWith } from './helpers/config-env';

/** Production refuses the settings that exist only for the local stack (design.md, "Configuration"). */

void t.test('production refuses the local-stack settings', async (t) => {
  const PROD = { ...GOOD, NODE_ENV: 'production', ALERT_WEBHOOK_URLS: 'https://hooks.example.com/breakglass' };
  const config = parseConfig(PROD);
  t.equal(config.NODE_ENV, 'production', 'a proper production environment is accepted');
  t.equal(config.KEYVAULT_CREDENTIAL, 'managed');

  refusedWith(
    t,
    { ...PROD, KEYVAULT_CA_CERT: '/etc/ssl/emulator-ca.pem' },
    'KEYVAULT_CA_CERT',
    'KEYVAULT_CA_CERT',
    /refused when NODE_ENV=production/,
  );
  refusedWith(
    t,
    { ...PROD, KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: 'true' },
    'challenge verification off',
    'KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION',
    /refused when NODE_ENV=production/,
  );
  refusedWith(
    t,
    { ...PROD, KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: '1' },
    'challenge verification off (1)',
    'KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION',
    /refused/,
  );
  refusedWith(
    t,
    { ...PROD, KEYVAULT_CREDENTIAL: 'emulator' },
    'emulator credential',
    'KEYVAULT_CREDENTIAL',
    /emulator.*refused when NODE_ENV=production/,
  );
  refusedWith(t, { ...PROD, AUTH_JWKS_URL: 'http://idp.internal/jwks' }, 'http JWKS', 'AUTH_JWKS_URL', /https:\/\//);
  refusedWith(t, without(PROD, 'ALERT_WEBHOOK_URLS'), 'no webhook', 'ALERT_WEBHOOK_URLS', /at least one webhook/);
  refusedWith(
    t,
    { ...PROD, ALERT_WEBHOOK_URLS: 'https://hooks.example.com/a,http://siem.internal/b' },
    'an http webhook',
    'ALERT_WEBHOOK_URLS',
    /https:\/\//,
  );

  const many = refused(
    t,
    { ...PROD, KEYVAULT_CREDENTIAL: 'emulator', KEYVAULT_CA_CERT: '/x.pem', AUTH_JWKS_URL: 'http://idp/jwks' },
    'several at once',
  );
  t.equal(many?.problems.length, 3, 'all production problems are reported together');

  t.doesNotThrow(
    () =>
      parseConfig({
        ...GOOD,
        NODE_ENV: 'test',
        KEYVAULT_CA_CERT: '/x.pem',
        KEYVAULT_CREDENTIAL: 'emulator',
        KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: 'true',
        AUTH_JWKS_URL: 'http://127.0.0.1:1/jwks',
      }),
    'the same settings are fine outside production',
  );
});
