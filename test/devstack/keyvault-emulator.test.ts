import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { SecretClient } from '@azure/keyvault-secrets';
import t from 'tap';
import { startKeyVaultEmulator, type KeyVaultEmulator } from '../../devstack/keyvault-emulator/server';

const credential: TokenCredential = {
  async getToken(): Promise<AccessToken> {
    return { token: 'dev', expiresOnTimestamp: Date.now() + 3600e3 };
  },
};

const dataDir = mkdtempSync(join(tmpdir(), 'kv-emulator-'));
const logLines: string[] = [];
let emulator: KeyVaultEmulator;
let ca: string;

/** The CA is trusted per client through the SDK pipeline; nothing process-wide is switched. */
function client(trust: 'tlsOptions' | 'agent' | 'none' = 'tlsOptions'): SecretClient {
  return new SecretClient(emulator.url, credential, {
    disableChallengeResourceVerification: true,
    retryOptions: { maxRetries: 0 },
    ...(trust === 'tlsOptions' ? { tlsOptions: { ca } } : {}),
    ...(trust === 'agent' ? { agent: new Agent({ ca, keepAlive: true }) } : {}),
  });
}

function raw(method: string, path: string, opts: { auth?: boolean; body?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; json: any }>((resolve, reject) => {
    const req = request(`${emulator.url}${path}`, {
      method,
      ca,
      headers: { ...(opts.auth === false ? {} : { authorization: 'Bearer dev' }), 'content-type': 'application/json' },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text ? JSON.parse(text) : undefined }),
      );
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const start = async (port?: number) => {
  emulator = await startKeyVaultEmulator({ dataDir, log: (line) => logLines.push(line), ...(port ? { port } : {}) });
  ca = readFileSync(emulator.caCertPath, 'utf8');
};

t.before(() => start());
t.teardown(async () => {
  await emulator?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

let version1 = '';

void t.test('set and get a secret', async (t) => {
  const set = await client().setSecret('bg-account-1', 'first-value', {
    contentType: 'text/plain',
    tags: { owner: 'breakglass' },
  });
  t.match(set.properties.version, /^[0-9a-f]{32}$/);
  t.equal(set.properties.id, `${emulator.url}/secrets/bg-account-1/${set.properties.version}`);
  t.equal(set.properties.enabled, true);
  t.equal(set.properties.recoveryLevel, 'Recoverable+Purgeable');
  version1 = set.properties.version!;
  const got = await client().getSecret('bg-account-1');
  t.equal(got.value, 'first-value');
  t.equal(got.properties.contentType, 'text/plain');
  t.same(got.properties.tags, { owner: 'breakglass' });
  t.equal(
    (await client().getSecret('BG-ACCOUNT-1', { version: version1 })).value,
    'first-value',
    'names are case-insensitive',
  );
});

void t.test('a disabled version answers 403 Forbidden / SecretDisabled; re-enabling restores it', async (t) => {
  const kv = client();
  const updated = await kv.updateSecretProperties('bg-account-1', version1, { enabled: false });
  t.equal(updated.enabled, false);
  for (const attempt of [
    () => kv.getSecret('bg-account-1'),
    () => kv.getSecret('bg-account-1', { version: version1 }),
  ]) {
    const error: any = await attempt().then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(error, 'get rejects');
    t.equal(error.statusCode, 403);
    t.equal(error.code, 'Forbidden');
    t.equal(error.message, 'Operation get is not allowed on a disabled secret.');
    // The SDK camel-cases the wire's `innererror` into details.error.innerError.
    t.equal(error.details?.error?.innerError?.code, 'SecretDisabled');
  }
  await kv.updateSecretProperties('bg-account-1', version1, { enabled: true });
  t.equal((await kv.getSecret('bg-account-1')).value, 'first-value');
});

void t.test('expired and not-yet-valid secrets are still returned, as in Key Vault', async (t) => {
  const kv = client();
  const past = new Date(Date.now() - 3600e3);
  await kv.setSecret('expired-one', 'old', { expiresOn: past });
  const got = await kv.getSecret('expired-one');
  t.equal(got.value, 'old');
  t.equal(got.properties.expiresOn?.getTime(), Math.floor(past.getTime() / 1000) * 1000);
  await kv.setSecret('future-one', 'soon', { notBefore: new Date(Date.now() + 3600e3) });
  t.equal((await kv.getSecret('future-one')).value, 'soon');
});

void t.test('versions and listing, with paging through nextLink', async (t) => {
  const kv = client('agent');
  const second = await kv.setSecret('bg-account-1', 'second-value');
  t.equal((await kv.getSecret('bg-account-1')).value, 'second-value', 'latest is the newest version');
  t.equal((await kv.getSecret('bg-account-1', { version: version1 })).value, 'first-value');
  const versions = [];
  for await (const p of kv.listPropertiesOfSecretVersions('bg-account-1')) versions.push(p);
  t.same(versions.map((v) => v.version).sort(), [version1, second.properties.version].sort());
  t.notOk(
    versions.some((v) => 'value' in v),
    'list items carry no values',
  );

  const pages = [];
  for await (const pageItems of kv.listPropertiesOfSecrets().byPage({ maxPageSize: 1 }))
    pages.push(pageItems.map((p) => p.name));
  t.same(pages, [['bg-account-1'], ['expired-one'], ['future-one']]);
  t.same(await kv.listPropertiesOfSecretVersions('no-such-secret').next(), { done: true, value: undefined });
});

void t.test('soft delete, conflict on reuse, purge', async (t) => {
  const kv = client();
  await kv.setSecret('to-delete', 'x');
  const poller = await kv.beginDeleteSecret('to-delete');
  const deleted = await poller.pollUntilDone();
  t.equal(deleted.name, 'to-delete');
  t.equal(deleted.recoveryId, `${emulator.url}/deletedsecrets/to-delete`);
  t.equal((await kv.getDeletedSecret('to-delete')).name, 'to-delete');
  const notFound: any = await kv.getSecret('to-delete').catch((e: unknown) => e);
  t.equal(notFound.statusCode, 404);
  t.equal(notFound.code, 'SecretNotFound');
  const conflict: any = await kv.setSecret('to-delete', 'y').catch((e: unknown) => e);
  t.equal(conflict.statusCode, 409);
  await kv.purgeDeletedSecret('to-delete');
  const gone: any = await kv.getDeletedSecret('to-delete').catch((e: unknown) => e);
  t.equal(gone.statusCode, 404);
  t.equal((await kv.setSecret('to-delete', 'y')).value, 'y', 'the name is free again after purge');
  await (await kv.beginDeleteSecret('to-delete')).pollUntilDone();
  await (await kv.beginRecoverDeletedSecret('to-delete')).pollUntilDone();
  t.equal((await kv.getSecret('to-delete')).value, 'y', 'recovered');
});

void t.test('wire-level behaviour', async (t) => {
  const challenge = await raw('PUT', '/secrets/x?api-version=7.6', { auth: false });
  t.equal(challenge.status, 401);
  t.equal(
    challenge.headers['www-authenticate'],
    'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"',
  );
  t.same((await raw('GET', '/ping', { auth: false })).json, { ok: true });
  const badJson = await raw('PUT', '/secrets/x?api-version=7.6', { body: '{nope' });
  t.equal(badJson.status, 400);
  t.equal(badJson.json.error.code, 'BadParameter');
  const unknown = await raw('GET', '/keys/x?api-version=7.6');
  t.equal(unknown.status, 404);
  t.type(unknown.json.error.code, 'string');
  t.equal((await raw('GET', '/secrets?api-version=6.0')).status, 400, 'unsupported api-version');
  t.equal((await raw('GET', '/secrets?api-version=2025-07-01')).status, 200);
  t.equal((await raw('GET', '/secrets?api-version=2026-04-01')).status, 200, 'the newest SDK version');
  t.equal((await raw('GET', '/secrets?api-version=2025-13-01')).status, 400, 'a made-up 2025-* version');
  const noSwitch = await raw('PUT', '/_faults/secrets/bg-account-1', { body: '{"fault":"throttled"}' });
  t.equal(noSwitch.status, 404, 'the fault switch is off unless asked for');
  t.equal((await client().getSecret('bg-account-1')).value, 'second-value', 'and nothing was set');
});

void t.test('a restart on the same dataDir keeps secrets and the CA', async (t) => {
  const { port, caCertPath } = emulator;
  await emulator.close();
  await start(port);
  t.equal(emulator.caCertPath, caCertPath);
  const got = await client().getSecret('bg-account-1', { version: version1 });
  t.equal(got.value, 'first-value');
  t.equal((await client().getSecret('bg-account-1')).value, 'second-value');
});

void t.test('a client that does not trust the CA fails TLS', async (t) => {
  const error: any = await client('none')
    .getSecret('bg-account-1')
    .catch((e: unknown) => e);
  t.ok(error, 'rejects');
  t.match(String(error.code), /CERT|SIGNATURE|SELF_SIGNED/);
});

void t.test('logs never contain secret values', async (t) => {
  t.ok(logLines.length > 10);
  t.notOk(logLines.some((line) => /first-value|second-value|old|soon/.test(line)));
});

void t.test('CLI prints its URL as one JSON line and exits cleanly on SIGTERM', async (t) => {
  const cliDir = mkdtempSync(join(tmpdir(), 'kv-emulator-cli-'));
  t.teardown(() => rmSync(cliDir, { recursive: true, force: true }));
  const tsx = join(__dirname, '../../node_modules/.bin/tsx');
  const child = spawn(
    tsx,
    [join(__dirname, '../../devstack/keyvault-emulator/main.ts'), '--port', '0', '--data-dir', cliDir],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.on('exit', () => reject(new Error('CLI exited before printing its URL')));
  });
  const info = JSON.parse(line) as { url: string; caCertPath: string };
  t.match(info.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  t.equal(info.caCertPath, join(cliDir, 'ca.crt'));
  child.kill('SIGTERM');
  t.equal(await exited, 0);
});
