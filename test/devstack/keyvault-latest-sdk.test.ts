import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import t from 'tap';
// The newest @azure/keyvault-secrets release, installed under an alias beside the product's own copy.
import { SecretClient as LatestSecretClient } from 'keyvault-secrets-latest';
import { SecretClient as ProductSecretClient } from '@azure/keyvault-secrets';
import { PREVIEW_API_VERSIONS, STABLE_API_VERSIONS } from '../../devstack/keyvault-emulator/api-versions';
import { startKeyVaultEmulator, type KeyVaultEmulator } from '../../devstack/keyvault-emulator/server';
import { rawKeyVault } from '../helpers/keyvault-raw';

const credential: TokenCredential = {
  async getToken(): Promise<AccessToken> {
    return { token: 'dev', expiresOnTimestamp: Date.now() + 3600e3 };
  },
};

const dataDir = mkdtempSync(join(tmpdir(), 'kv-latest-sdk-'));
const logLines: string[] = [];
let emulator: KeyVaultEmulator;
let ca: string;

t.before(async () => {
  emulator = await startKeyVaultEmulator({ dataDir, log: (line) => logLines.push(line) });
  ca = readFileSync(emulator.caCertPath, 'utf8');
});
t.teardown(async () => {
  await emulator?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

for (const [label, Client] of [
  ['the newest SDK release', LatestSecretClient],
  ['the SDK the product locks', ProductSecretClient],
] as const) {
  void t.test(`${label}: set, get, disable, get disabled, list versions, delete`, async (t) => {
    const kv = new Client(emulator.url, credential, {
      disableChallengeResourceVerification: true,
      retryOptions: { maxRetries: 0 },
      tlsOptions: { ca },
    });
    const name = `latest-${label.length}`;
    const first = await kv.setSecret(name, 'value-1');
    t.match(first.properties.version, /^[0-9a-f]{32}$/);
    const second = await kv.setSecret(name, 'value-2');
    t.equal((await kv.getSecret(name)).value, 'value-2');
    t.equal((await kv.getSecret(name, { version: first.properties.version! })).value, 'value-1');

    const updated = await kv.updateSecretProperties(name, second.properties.version!, { enabled: false });
    t.equal(updated.enabled, false);
    const error: any = await kv.getSecret(name).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.equal(error?.statusCode, 403, 'a disabled version is refused');
    t.equal(error?.code, 'Forbidden');
    t.equal(error?.details?.error?.innerError?.code, 'SecretDisabled');

    const versions = [];
    for await (const properties of kv.listPropertiesOfSecretVersions(name)) versions.push(properties);
    t.same(versions.map((v) => v.version).sort(), [first.properties.version, second.properties.version].sort());
    t.same(versions.find((v) => v.version === second.properties.version)?.enabled, false);

    const deleted = await (await kv.beginDeleteSecret(name)).pollUntilDone();
    t.equal(deleted.name, name);
    const gone: any = await kv.getSecret(name).catch((e: unknown) => e);
    t.equal(gone.statusCode, 404);
    t.equal(gone.code, 'SecretNotFound');
  });
}

void t.test('every published secrets api-version is accepted', async (t) => {
  for (const version of [...STABLE_API_VERSIONS, ...PREVIEW_API_VERSIONS]) {
    const answer = await rawKeyVault(emulator.url, ca, 'GET', `/secrets?api-version=${version}`);
    t.equal(answer.status, 200, version);
  }
});

void t.test('made-up api-versions are refused with Key Vault answer', async (t) => {
  for (const version of ['6.0', '7.7', '7.6-preview.3', '2025-07-02', '2026-04-01-preview', 'latest', '7.6 ']) {
    const answer = await rawKeyVault(emulator.url, ca, 'GET', `/secrets?api-version=${encodeURIComponent(version)}`);
    t.equal(answer.status, 400, `${version}: 400`);
    t.same(
      answer.json,
      {
        error: {
          code: 'BadParameter',
          message: `The specified version (${version}) is not recognized. Consider using the latest supported version (2026-04-01).`,
        },
      },
      `${version}: BadParameter`,
    );
  }
  const missing = await rawKeyVault(emulator.url, ca, 'GET', '/secrets');
  t.equal(missing.status, 400, 'no api-version');
  t.equal(missing.json.error.code, 'BadParameter');
});
