import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startKeyVaultEmulator, type KeyVaultEmulator } from '../../devstack/keyvault-emulator/server';
import {
  createSecretClient,
  isSecretDisabledError,
  keyVaultUnavailableReason,
  MAX_RETRY_AFTER_MS,
} from '../../src/keyvault/secret-client';
import { FAULT_KINDS, setFault } from '../helpers/keyvault-faults';

/** The product's Key Vault client against the emulator's faults: how long it waits, and how failures are classified. */

const dataDir = mkdtempSync(join(tmpdir(), 'kv-client-'));
let emulator: KeyVaultEmulator;
let client: ReturnType<typeof createSecretClient>;

t.before(async () => {
  emulator = await startKeyVaultEmulator({ dataDir, faults: true });
  client = createSecretClient({
    KEYVAULT_URL: emulator.url,
    KEYVAULT_CA_CERT: emulator.caCertPath,
    KEYVAULT_CREDENTIAL: 'emulator',
    KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: true,
  });
  await client.setSecret('bounded', 'v');
});
t.teardown(async () => {
  await emulator?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const timed = async (work: () => Promise<unknown>) => {
  const started = Date.now();
  const error = await work().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, ms: Date.now() - started };
};

void t.test('a short Retry-After is waited out (twice); a long one fails the call at once', async (t) => {
  await setFault(emulator, 'bounded', 'throttled', { retryAfterSeconds: 1 });
  const short = await timed(() => client.getSecret('bounded'));
  t.equal((short.error as { statusCode?: number })?.statusCode, 429);
  t.ok(short.ms >= 2_000, `Retry-After: 1 honoured by the SDK's two retries (${short.ms} ms)`);

  await setFault(emulator, 'bounded', 'throttled', { retryAfterSeconds: MAX_RETRY_AFTER_MS / 1000 + 28 });
  const long = await timed(() => client.getSecret('bounded'));
  t.equal((long.error as { statusCode?: number })?.statusCode, 429);
  t.ok(long.ms < 1_500, `Retry-After: 30 not waited for (${long.ms} ms)`);

  await setFault(emulator, 'bounded', 'unavailable', { retryAfterSeconds: 30 });
  const unavailable = await timed(() => client.getSecret('bounded'));
  t.equal((unavailable.error as { statusCode?: number })?.statusCode, 503);
  t.ok(unavailable.ms < 3_000, `a 503 gets only the short exponential retries (${unavailable.ms} ms)`);
  await setFault(emulator, 'bounded', null);
  t.equal((await client.getSecret('bounded')).value, 'v');
});

void t.test('every fault is classified as Key Vault being unavailable; SecretDisabled is not', async (t) => {
  await setFault(emulator, 'bounded', 'throttled', { retryAfterSeconds: 60 });
  for (const fault of FAULT_KINDS) {
    await setFault(emulator, 'bounded', fault, { retryAfterSeconds: 60 });
    const { error } = await timed(() => client.getSecret('bounded'));
    t.match(keyVaultUnavailableReason(error), /^Key Vault /, `${fault}: ${keyVaultUnavailableReason(error)}`);
    t.notOk(isSecretDisabledError(error), `${fault}: not the seal holding`);
  }
  await setFault(emulator, 'bounded', null);
  const missing = await timed(() => client.getSecret('no-such-secret'));
  t.equal(keyVaultUnavailableReason(missing.error), 'Key Vault does not hold the secret');
  const set = await client.setSecret('sealed', 'v');
  await client.updateSecretProperties('sealed', set.properties.version!, { enabled: false });
  const disabled = await timed(() => client.getSecret('sealed'));
  t.ok(isSecretDisabledError(disabled.error), 'SecretDisabled');
  t.equal(keyVaultUnavailableReason(disabled.error), null, 'the seal holding is not an outage');
  t.equal(keyVaultUnavailableReason(new Error('x')), null, 'other errors are not Key Vault');
  t.equal(
    keyVaultUnavailableReason(Object.assign(new Error('no token'), { name: 'CredentialUnavailableError' })),
    'the service could not get a token for Key Vault',
  );
});
