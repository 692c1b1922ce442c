import t from 'tap';
import { loadConfigOrExit, parseConfig } from '../src/config';
import { lines, runScript } from './helpers/foundation-process';
import { GOOD, without, refused, refusedWith } from './helpers/config-env';

/**
 * The configuration contract (design.md, "Configuration"): every variable validated at start,
 * a bad value stops the process with one clear line naming the variable and what it wants,
 * secrets are never echoed, and production refuses the settings that exist only for the local stack.
 */

void t.test('a minimal good environment parses with the documented defaults', async (t) => {
  const config = parseConfig({ ...GOOD });
  t.equal(config.NODE_ENV, 'development');
  t.equal(config.LOG_LEVEL, 'info');
  t.equal(config.PORT, 3000);
  t.equal(config.HOST, '127.0.0.1');
  t.equal(config.DATABASE_URL, GOOD.DATABASE_URL);
  t.equal(config.DATABASE_SCHEMA, 'public');
  t.equal(config.TEMPORAL_ADDRESS, GOOD.TEMPORAL_ADDRESS);
  t.equal(config.TEMPORAL_NAMESPACE, 'default');
  t.equal(config.TEMPORAL_TASK_QUEUE, 'breakglass');
  t.equal(config.KEYVAULT_URL, GOOD.KEYVAULT_URL);
  t.equal(config.KEYVAULT_CA_CERT, undefined);
  t.equal(config.KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION, false);
  t.equal(config.KEYVAULT_CREDENTIAL, 'managed', 'managed identity unless told otherwise');
  t.equal(config.AUTH_ISSUER, GOOD.AUTH_ISSUER);
  t.equal(config.AUTH_AUDIENCE, GOOD.AUTH_AUDIENCE);
  t.equal(config.AUTH_JWKS_URL, GOOD.AUTH_JWKS_URL);
  t.same(config.AUTH_ALGORITHMS, ['RS256', 'ES256'], 'pinned to RS256/ES256 by default');
  t.equal(config.AUTH_CLOCK_SKEW_SECONDS, 60);
  t.same(config.ALERT_WEBHOOK_URLS, []);
});

void t.test('explicit values are parsed and typed; empty variables count as unset', async (t) => {
  const config = parseConfig({
    ...GOOD,
    PORT: '8443',
    HOST: '0.0.0.0',
    DATABASE_SCHEMA: 'bg_prod',
    AUTH_ALGORITHMS: ' ES256 ',
    ALERT_WEBHOOK_URLS: 'https://hooks.example.com/a, http://siem.internal/b ,',
    KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: 'true',
    KEYVAULT_CREDENTIAL: 'emulator',
    TEMPORAL_NAMESPACE: '',
  });
  t.equal(config.PORT, 8443);
  t.equal(config.HOST, '0.0.0.0');
  t.equal(config.DATABASE_SCHEMA, 'bg_prod');
  t.same(config.AUTH_ALGORITHMS, ['ES256']);
  t.same(config.ALERT_WEBHOOK_URLS, ['https://hooks.example.com/a', 'http://siem.internal/b']);
  t.equal(config.KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION, true);
  t.equal(config.KEYVAULT_CREDENTIAL, 'emulator');
  t.equal(config.TEMPORAL_NAMESPACE, 'default', 'an empty variable falls back to the default');
});

void t.test('PORT must be an integer between 1 and 65535', async (t) => {
  refusedWith(t, { ...GOOD, PORT: 'abc' }, 'PORT=abc', 'PORT', /integer port number/);
  refusedWith(t, { ...GOOD, PORT: '0' }, 'PORT=0', 'PORT', /between 1 and 65535/);
  refusedWith(t, { ...GOOD, PORT: '70000' }, 'PORT=70000', 'PORT', /between 1 and 65535/);
  refusedWith(t, { ...GOOD, PORT: '80.5' }, 'PORT=80.5', 'PORT', /integer port number/);
  t.match(
    refused(t, { ...GOOD, PORT: 'abc' }, 'PORT=abc again')?.message ?? '',
    /"abc"/,
    'a non-secret bad value is shown so the operator sees the typo',
  );
});

void t.test('DATABASE_URL must be a postgres URL, and its value is never echoed', async (t) => {
  for (const value of [
    'mysql://breakglass:hunter2-Pw@db.internal:3306/bg',
    'hunter2-Pw',
    'https://u:hunter2-Pw@db.internal/bg',
  ]) {
    const error = refusedWith(
      t,
      { ...GOOD, DATABASE_URL: value },
      `DATABASE_URL=${value.split(':')[0]}…`,
      'DATABASE_URL',
      /postgres:\/\//,
    );
    t.notMatch(error?.message ?? 'hunter2-Pw', /hunter2/, 'the password in the value is not in the message');
    t.notMatch(JSON.stringify(error?.problems ?? 'hunter2-Pw'), /hunter2/, 'nor in the listed problems');
  }
  t.equal(
    parseConfig({ ...GOOD, DATABASE_URL: 'postgresql://u:p@db/bg' }).DATABASE_URL,
    'postgresql://u:p@db/bg',
    'postgresql:// is accepted too',
  );
});

void t.test('TEMPORAL_ADDRESS must be host:port', async (t) => {
  refusedWith(t, { ...GOOD, TEMPORAL_ADDRESS: 'temporal.internal' }, 'no port', 'TEMPORAL_ADDRESS', /host:port/);
  refusedWith(
    t,
    { ...GOOD, TEMPORAL_ADDRESS: 'http://temporal.internal' },
    'a URL without port',
    'TEMPORAL_ADDRESS',
    /host:port/,
  );
});

void t.test('KEYVAULT_URL must be https', async (t) => {
  refusedWith(t, { ...GOOD, KEYVAULT_URL: 'http://contoso-bg.vault.azure.net' }, 'http', 'KEYVAULT_URL', /https:\/\//);
  refusedWith(t, { ...GOOD, KEYVAULT_URL: 'contoso-bg.vault.azure.net' }, 'no scheme', 'KEYVAULT_URL', /https:\/\//);
});

void t.test('AUTH_ALGORITHMS is pinned to RS256/ES256: HMAC and none are refused', async (t) => {
  for (const value of ['HS256', 'none', 'RS256,none', 'RS256,HS256', ',']) {
    refusedWith(
      t,
      { ...GOOD, AUTH_ALGORITHMS: value },
      `AUTH_ALGORITHMS=${value}`,
      'AUTH_ALGORITHMS',
      /RS256 and\/or ES256/,
    );
  }
});

void t.test('ALERT_WEBHOOK_URLS must be http(s) URLs', async (t) => {
  refusedWith(
    t,
    { ...GOOD, ALERT_WEBHOOK_URLS: 'ftp://alerts.internal/drop' },
    'ftp',
    'ALERT_WEBHOOK_URLS',
    /http\(s\) webhook URLs/,
  );
  refusedWith(
    t,
    { ...GOOD, ALERT_WEBHOOK_URLS: 'https://hooks.example.com/a,ftp://alerts.internal/drop' },
    'one of two is ftp',
    'ALERT_WEBHOOK_URLS',
    /http\(s\)/,
  );
});

void t.test(
  'a webhook URL carries its own credential (Slack/Teams/PagerDuty): a bad list does not echo it',
  async (t) => {
    const token = 'XyZsecretWebhookToken42';
    const error = refusedWith(
      t,
      {
        ...GOOD,
        ALERT_WEBHOOK_URLS: `https://hooks.slack.com/services/T0001/B0001/${token},ftp://alerts.internal/drop`,
      },
      'slack + ftp',
      'ALERT_WEBHOOK_URLS',
      /http\(s\)/,
    );
    t.notMatch(
      error?.message ?? token,
      new RegExp(token),
      'the webhook token is not in the message (it ends up in logs)',
    );
  },
);

void t.test('each required variable, when missing, is named with what it wants', async (t) => {
  const wants: Record<keyof typeof GOOD, RegExp> = {
    DATABASE_URL: /postgres:\/\//,
    TEMPORAL_ADDRESS: /host:port/,
    KEYVAULT_URL: /https:\/\//,
    AUTH_ISSUER: /issuer/,
    AUTH_AUDIENCE: /audience/,
    AUTH_JWKS_URL: /JSON Web Key Set/,
  };
  for (const name of Object.keys(GOOD) as Array<keyof typeof GOOD>) {
    const error = refusedWith(t, without(GOOD, name), `${name} missing`, name, /not set/);
    t.match(error?.message ?? '', wants[name], `${name} missing: says what kind of value it wants`);
    t.equal(error?.problems.length, 1, `${name} missing: only that variable is reported`);
    const empty = refused(t, { ...GOOD, [name]: '' }, `${name} empty`);
    t.match(empty?.message ?? '', new RegExp(`${name} is not set`), `${name} empty counts as not set`);
  }
  const all = refused(t, {}, 'empty environment');
  t.equal(all?.problems.length, 6, 'every missing required variable is reported at once');
});

void t.test('loadConfigOrExit prints one line and exits 78 in-process', async (t) => {
  const writes: string[] = [];
  const exits: Array<number | undefined> = [];
  const realWrite = process.stderr.write.bind(process.stderr);
  const realExit = process.exit.bind(process);
  process.stderr.write = ((chunk: string) => (writes.push(String(chunk)), true)) as typeof process.stderr.write;
  process.exit = ((code?: number) => {
    exits.push(code);
    throw new Error('exit called');
  }) as typeof process.exit;
  try {
    t.throws(() => loadConfigOrExit({ ...GOOD, PORT: 'abc' }), /exit called/);
    const config = loadConfigOrExit({ ...GOOD });
    t.equal(config.PORT, 3000, 'a good environment is returned');
  } finally {
    process.stderr.write = realWrite;
    process.exit = realExit;
  }
  t.same(exits, [78], 'EX_CONFIG, once');
  t.equal(writes.length, 1);
  t.match(writes[0] ?? '', /^breakglass: Invalid configuration: PORT is "abc"; it wants an integer port number\n$/);
});

for (const entry of ['src/server.ts', 'src/worker-main.ts']) {
  void t.test(`${entry} with a bad environment exits 78 with one clear stderr line`, async (t) => {
    const missing = await runScript(entry, without(GOOD, 'AUTH_ISSUER'), 60_000);
    t.notOk(missing.timedOut, 'missing AUTH_ISSUER: the process stopped on its own');
    t.equal(missing.code, 78, 'missing AUTH_ISSUER: exit code 78 (EX_CONFIG)');
    t.equal(
      lines(missing.stderr).length,
      1,
      `missing AUTH_ISSUER: exactly one stderr line (got ${JSON.stringify(missing.stderr)})`,
    );
    t.match(
      missing.stderr,
      /^breakglass: Invalid configuration: AUTH_ISSUER is not set/,
      'missing AUTH_ISSUER: the line names AUTH_ISSUER',
    );
    t.notMatch(missing.stderr, /\n\s+at /, 'missing AUTH_ISSUER: no stack trace');

    const badPort = await runScript(entry, { ...GOOD, PORT: 'abc' }, 60_000);
    t.notOk(badPort.timedOut, 'PORT=abc: the process stopped on its own');
    t.equal(badPort.code, 78, 'PORT=abc: exit code 78');
    t.equal(
      lines(badPort.stderr).length,
      1,
      `PORT=abc: exactly one stderr line (got ${JSON.stringify(badPort.stderr)})`,
    );
    t.match(
      badPort.stderr,
      /^breakglass: Invalid configuration: PORT is "abc"; it wants an integer port number\n$/,
      'PORT=abc: names PORT and what it wants',
    );

    const secret = await runScript(entry, { ...GOOD, DATABASE_URL: 'mysql://bg:hunter2-Pw@db.internal/bg' }, 60_000);
    t.equal(secret.code, 78, 'bad DATABASE_URL: exit code 78');
    t.match(
      secret.stderr,
      /DATABASE_URL has an invalid value; it wants a postgres:\/\/ connection URL/,
      'bad DATABASE_URL: named',
    );
    t.notMatch(secret.stderr + secret.stdout, /hunter2/, 'bad DATABASE_URL: the password is not printed');

    const prod = await runScript(
      entry,
      {
        ...GOOD,
        NODE_ENV: 'production',
        KEYVAULT_CREDENTIAL: 'emulator',
        ALERT_WEBHOOK_URLS: 'https://hooks.example.com/x',
      },
      60_000,
    );
    t.equal(prod.code, 78, 'production with the emulator credential: exit code 78');
    t.match(
      prod.stderr,
      /KEYVAULT_CREDENTIAL=emulator is a dev\/test setting/,
      'production refusal: names the variable',
    );
    t.equal(lines(prod.stderr).length, 1, 'production refusal: one line');
  });
}
