import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { SecretClient } from '@azure/keyvault-secrets';
import t from 'tap';
import { startKeyVaultEmulator, type KeyVaultEmulator } from '../../devstack/keyvault-emulator/server';
import { LIMITS } from '../../devstack/keyvault-emulator/validation';
import { setFault } from '../helpers/keyvault-faults';
import { rawKeyVault } from '../helpers/keyvault-raw';

const credential: TokenCredential = {
  async getToken(): Promise<AccessToken> {
    return { token: 'dev', expiresOnTimestamp: Date.now() + 3600e3 };
  },
};

const dataDir = mkdtempSync(join(tmpdir(), 'kv-faults-'));
let emulator: KeyVaultEmulator;
let ca: string;
let kv: SecretClient;
const raw = (method: string, path: string, opts?: { body?: string }) =>
  rawKeyVault(emulator.url, ca, method, path, opts);

t.before(async () => {
  emulator = await startKeyVaultEmulator({ dataDir, faults: true });
  ca = readFileSync(emulator.caCertPath, 'utf8');
  // No SDK retries: each assertion sees Key Vault's one answer.
  kv = new SecretClient(emulator.url, credential, {
    disableChallengeResourceVerification: true,
    retryOptions: { maxRetries: 0 },
    tlsOptions: { ca },
  });
});
t.teardown(async () => {
  await emulator?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const rejection = (promise: Promise<unknown>): Promise<any> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

void t.test(
  'each fault answers with Key Vault status, code, inner code and headers; others are untouched',
  async (t) => {
    await kv.setSecret('faulty', 'v');
    await kv.setSecret('healthy', 'h');
    const cases = [
      {
        fault: 'unauthorized',
        status: 401,
        code: 'Unauthorized',
        inner: undefined,
        message: /^AKV10032: Invalid issuer/,
      },
      {
        fault: 'forbiddenByRbac',
        status: 403,
        code: 'Forbidden',
        inner: 'ForbiddenByRbac',
        message: /^Caller is not authorized to perform action on resource\.\r\n/,
      },
      {
        fault: 'forbiddenByPolicy',
        status: 403,
        code: 'Forbidden',
        inner: 'ForbiddenByPolicy',
        message: /does not have secrets get permission on key vault/,
      },
      {
        fault: 'throttled',
        status: 429,
        code: 'Throttled',
        inner: undefined,
        message: /Reason: VaultRequestTypeLimitReached$/,
      },
      { fault: 'unavailable', status: 503, code: 'ServiceUnavailable', inner: undefined, message: /unavailable/ },
    ] as const;
    for (const c of cases) {
      await setFault(emulator, 'faulty', c.fault, c.fault === 'throttled' ? { retryAfterSeconds: 7 } : {});
      const error = await rejection(kv.getSecret('faulty'));
      t.equal(error?.statusCode, c.status, `${c.fault}: status`);
      t.equal(error?.code, c.code, `${c.fault}: code`);
      t.equal(error?.details?.error?.innerError?.code, c.inner, `${c.fault}: inner code`);
      t.match(error?.message, c.message, `${c.fault}: message`);
      // Every route that names the secret is affected, not only get.
      const list = await rejection(kv.listPropertiesOfSecretVersions('faulty').next());
      t.equal(list?.statusCode, c.status, `${c.fault}: listing versions too`);
      const wire = await raw('GET', '/secrets/FAULTY?api-version=7.6');
      t.equal(wire.status, c.status, `${c.fault}: names are case-insensitive`);
      if (c.fault === 'unauthorized')
        t.match(
          wire.headers['www-authenticate'],
          /^Bearer authorization="https:\/\/login\.microsoftonline\.com\/[0-9a-f-]+", resource="https:\/\/vault\.azure\.net"$/,
        );
      if (c.fault === 'throttled') t.equal(wire.headers['retry-after'], '7', 'Retry-After as asked');
      if (c.fault === 'unavailable') t.notOk(wire.headers['retry-after'], 'no Retry-After unless asked');
      t.equal((await kv.getSecret('healthy')).value, 'h', `${c.fault}: another secret is served`);
    }
    await setFault(emulator, 'faulty', 'throttled');
    t.equal(
      (await raw('GET', '/secrets/faulty?api-version=7.6')).headers['retry-after'],
      '1',
      'throttling sends Retry-After: 1 by default',
    );
    await setFault(emulator, 'faulty', null);
    t.equal((await kv.getSecret('faulty')).value, 'v', 'cleared: served again');
  },
);

void t.test('the fault switch refuses bad input', async (t) => {
  for (const body of [
    '{"fault":"gremlins"}',
    '{"fault":"throttled","retryAfterSeconds":-1}',
    '{"fault":"throttled","retryAfterSeconds":1.5}',
    '{"fault":null,"extra":1}',
    '{}',
  ]) {
    const answer = await raw('PUT', '/_faults/secrets/faulty', { body });
    t.equal(answer.status, 400, body);
    t.equal(answer.json.error.code, 'BadParameter');
  }
  t.equal(
    (await raw('PUT', '/_faults/secrets/bad_name', { body: '{"fault":null}' })).status,
    400,
    'secret name rules apply',
  );
  t.equal((await raw('GET', '/_faults/secrets/faulty')).status, 405, 'PUT only');
});

void t.test('limits: value 25 KB, 15 tags, tag name 512, tag value 256, content type 255', async (t) => {
  const refused = async (label: string, promise: Promise<unknown>) => {
    const error = await rejection(promise);
    t.equal(error?.statusCode, 400, `${label}: 400`);
    t.equal(error?.code, 'BadParameter', `${label}: BadParameter`);
  };
  const tags = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`t${i}`, 'x']));
  t.equal(
    (await kv.setSecret('limits', 'a'.repeat(LIMITS.valueBytes))).value?.length,
    25_600,
    'exactly 25 KB is stored',
  );
  await refused('value over 25 KB', kv.setSecret('limits', 'a'.repeat(LIMITS.valueBytes + 1)));
  await refused('value over 25 KB in UTF-8 bytes', kv.setSecret('limits', 'é'.repeat(LIMITS.valueBytes / 2 + 1)));
  t.ok(await kv.setSecret('limits', 'v', { tags: tags(15) }), '15 tags');
  await refused('16 tags', kv.setSecret('limits', 'v', { tags: tags(16) }));
  t.ok(await kv.setSecret('limits', 'v', { tags: { ['n'.repeat(512)]: 'v'.repeat(256) } }), 'tag name 512, value 256');
  await refused('tag name 513', kv.setSecret('limits', 'v', { tags: { ['n'.repeat(513)]: 'v' } }));
  await refused('tag value 257', kv.setSecret('limits', 'v', { tags: { n: 'v'.repeat(257) } }));
  t.ok(await kv.setSecret('limits', 'v', { contentType: 'c'.repeat(255) }), 'content type 255');
  await refused('content type 256', kv.setSecret('limits', 'v', { contentType: 'c'.repeat(256) }));

  const latest = await kv.setSecret('limits', 'final', { tags: { keep: 'me' }, contentType: 'text/plain' });
  await refused(
    'update with 16 tags',
    kv.updateSecretProperties('limits', latest.properties.version!, { tags: tags(16), enabled: false }),
  );
  await refused(
    'update with a long content type',
    kv.updateSecretProperties('limits', latest.properties.version!, { contentType: 'c'.repeat(256) }),
  );
  const after = await kv.getSecret('limits');
  t.same(after.properties.tags, { keep: 'me' }, 'a refused update changes nothing');
  t.equal(after.properties.contentType, 'text/plain');
  t.equal(after.properties.enabled, true);
});

void t.test(
  'a deleted secret that was disabled: 404 while deleted (as Key Vault), still disabled once recovered',
  async (t) => {
    const set = await kv.setSecret('sealed-then-deleted', 'credential');
    await kv.updateSecretProperties('sealed-then-deleted', set.properties.version!, { enabled: false });
    await (await kv.beginDeleteSecret('sealed-then-deleted')).pollUntilDone();
    const whileDeleted = await rejection(kv.getSecret('sealed-then-deleted'));
    t.equal(whileDeleted?.statusCode, 404, 'Key Vault answers a soft-deleted secret with 404, disabled or not');
    t.equal(whileDeleted?.code, 'SecretNotFound');
    t.match(whileDeleted?.message, /If you recently deleted this secret you may be able to recover it/);
    t.equal(
      (await kv.getDeletedSecret('sealed-then-deleted')).properties.enabled,
      false,
      'the deleted secret keeps enabled=false',
    );
    await (await kv.beginRecoverDeletedSecret('sealed-then-deleted')).pollUntilDone();
    const recovered = await rejection(kv.getSecret('sealed-then-deleted'));
    t.equal(recovered?.statusCode, 403, 'recovered: still refused');
    t.equal(recovered?.details?.error?.innerError?.code, 'SecretDisabled');
  },
);
