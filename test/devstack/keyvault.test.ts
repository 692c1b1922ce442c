import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  findJdks,
  keyVaultInternals,
  negativeCacheMarkerPath,
  parseJavaVersion,
  startKeyVault,
} from '../../devstack/keyvault';
import { createSecretClient, primeSecretClient } from '../../src/keyvault/secret-client';

// Everything this file caches goes to a temp dir (devstack/cache.ts honours BREAKGLASS_CACHE_DIR).
const scratch = mkdtempSync(join(tmpdir(), 'bg-keyvault-'));
const originalEnv = { ...process.env };
const realFetch = keyVaultInternals.fetch;
const fetched: string[] = [];
keyVaultInternals.fetch = (input, init) => {
  fetched.push(input);
  return realFetch(input, init);
};

function freshCache(name: string): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  process.env.BREAKGLASS_CACHE_DIR = dir;
  return dir;
}

t.beforeEach(() => {
  delete process.env.BREAKGLASS_KEYVAULT;
  delete process.env.LOWKEY_VAULT_JAR;
  delete process.env.BREAKGLASS_KEYVAULT_FAULTS;
});
t.teardown(() => {
  keyVaultInternals.fetch = realFetch;
  for (const name of [
    'BREAKGLASS_CACHE_DIR',
    'BREAKGLASS_KEYVAULT',
    'BREAKGLASS_KEYVAULT_FAULTS',
    'LOWKEY_VAULT_JAR',
    'JAVA_HOME',
  ]) {
    if (originalEnv[name] === undefined) delete process.env[name];
    else process.env[name] = originalEnv[name];
  }
  rmSync(scratch, { recursive: true, force: true });
});

void t.test(
  'with this machine’s mirror, falls back to the built-in emulator, says why, and the SDK works against it',
  async (t) => {
    freshCache('real-mirror');
    const lines: string[] = [];
    const before = fetched.length;
    const kv = await startKeyVault({ dataDir: join(scratch, 'data-1'), log: (line) => lines.push(line) });
    t.teardown(() => kv.close());

    t.equal(kv.kind, 'builtin-emulator');
    t.same(
      fetched.slice(before),
      ['https://repo.maven.apache.org/maven2/com/github/nagyesta/lowkey-vault/lowkey-vault-app/maven-metadata.xml'],
      'one request, no retries',
    );
    const why = lines.find((line) => line.includes('using the built-in emulator'));
    t.match(
      why,
      /Lowkey Vault 7\.x not obtainable from Maven Central here \(HTTP 404 for https:\/\/repo\.maven\.apache\.org\/.*maven-metadata\.xml\); using the built-in emulator/,
    );
    t.ok(existsSync(negativeCacheMarkerPath()), 'the negative result is cached');
    t.match(JSON.parse(readFileSync(negativeCacheMarkerPath(), 'utf8')), { reason: /HTTP 404/ });

    t.match(kv.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const client = createSecretClient({
      KEYVAULT_URL: kv.url,
      KEYVAULT_CA_CERT: kv.caCertPath,
      KEYVAULT_CREDENTIAL: 'emulator',
      KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: true,
    });
    await primeSecretClient(client);
    await client.setSecret('keyvault-selection', 'round-trip');
    t.equal((await client.getSecret('keyvault-selection')).value, 'round-trip');
  },
);

void t.test('the negative cache marker stops later runs from asking Maven Central for 24 h', async (t) => {
  freshCache('negative');
  const first = await startKeyVault({ dataDir: join(scratch, 'data-2') });
  await first.close();
  const afterFirst = fetched.length;
  t.ok(existsSync(negativeCacheMarkerPath()));

  const lines: string[] = [];
  const second = await startKeyVault({ dataDir: join(scratch, 'data-2'), log: (line) => lines.push(line) });
  await second.close();
  t.equal(second.kind, 'builtin-emulator');
  t.equal(fetched.length, afterFirst, 'the second run made no request');
  t.match(
    lines.join('\n'),
    /not obtainable from Maven Central here \(HTTP 404 .*checked \d+ min ago, next try after 24 h or delete .*maven-unavailable\.json\); using the built-in emulator/,
  );

  // An expired marker is ignored: the next run asks once more (and records the new result).
  writeFileSync(
    negativeCacheMarkerPath(),
    JSON.stringify({ checkedAt: new Date(Date.now() - 25 * 3600_000).toISOString(), reason: 'HTTP 404' }),
  );
  const third = await startKeyVault({ dataDir: join(scratch, 'data-2') });
  await third.close();
  t.equal(fetched.length, afterFirst + 1, 'asked again after 24 h');
  t.ok(
    Date.now() - Date.parse(JSON.parse(readFileSync(negativeCacheMarkerPath(), 'utf8')).checkedAt) < 60_000,
    'marker refreshed',
  );
});

void t.test('BREAKGLASS_KEYVAULT=builtin skips Lowkey Vault without any download attempt', async (t) => {
  freshCache('builtin');
  process.env.BREAKGLASS_KEYVAULT = 'builtin';
  const before = fetched.length;
  const lines: string[] = [];
  const kv = await startKeyVault({ dataDir: join(scratch, 'data-3'), log: (line) => lines.push(line) });
  await kv.close();
  t.equal(kv.kind, 'builtin-emulator');
  t.equal(fetched.length, before, 'no request');
  t.notOk(existsSync(negativeCacheMarkerPath()), 'nothing cached');
  t.ok(lines.includes('[keyvault] BREAKGLASS_KEYVAULT=builtin; using the built-in emulator'));
});

void t.test(
  'faults: true starts the built-in emulator with its fault switch on, without any download attempt',
  async (t) => {
    freshCache('faults');
    const before = fetched.length;
    const lines: string[] = [];
    const kv = await startKeyVault({
      dataDir: join(scratch, 'data-faults'),
      log: (line) => lines.push(line),
      faults: true,
    });
    await kv.close();
    t.equal(kv.kind, 'builtin-emulator');
    t.equal(kv.faults, true, 'the switch is on');
    t.equal(fetched.length, before, 'no request');
    t.match(lines.join('\n'), /fault switch is wanted \(Lowkey Vault has none\); using the built-in emulator/);
  },
);

void t.test(
  'a cached jar is used without asking the network; one that does not start falls back and says why',
  async (t) => {
    const cache = freshCache('cached-jar');
    mkdirSync(join(cache, 'lowkey-vault', '7.1.13'), { recursive: true });
    writeFileSync(join(cache, 'lowkey-vault', '7.1.13', 'lowkey-vault-app-7.1.13.jar'), 'not a jar');
    const before = fetched.length;
    const lines: string[] = [];
    const kv = await startKeyVault({ dataDir: join(scratch, 'data-4'), log: (line) => lines.push(line) });
    await kv.close();
    t.equal(kv.kind, 'builtin-emulator');
    t.equal(fetched.length, before, 'no request');
    t.match(
      lines.join('\n'),
      /Lowkey Vault 7\.1\.13 did not start \(Lowkey Vault exited \((?:code \d+|SIG\w+)\) before it became ready\); using the built-in emulator/,
    );
  },
);

void t.test('LOWKEY_VAULT_JAR that does not exist is an error, not a silent fallback', async (t) => {
  freshCache('explicit');
  process.env.LOWKEY_VAULT_JAR = join(scratch, 'missing.jar');
  await t.rejects(
    startKeyVault({ dataDir: join(scratch, 'data-5') }),
    /LOWKEY_VAULT_JAR=.*missing\.jar does not exist/,
  );
});

void t.test('JDK detection', async (t) => {
  void t.test('finds the JDKs of this machine', async (t) => {
    const jdks = findJdks();
    // Independently: every entry of /usr/lib/jvm (and JAVA_HOME) with a release file and bin/java, by real path.
    const expected = new Set<string>();
    for (const home of [
      ...readdirSync('/usr/lib/jvm').map((e) => join('/usr/lib/jvm', e)),
      ...(process.env.JAVA_HOME ? [process.env.JAVA_HOME] : []),
    ]) {
      if (existsSync(join(home, 'release')) && existsSync(join(home, 'bin', 'java'))) expected.add(realpathSync(home));
    }
    t.same(new Set(jdks.map((j) => j.home)), expected, 'each JDK once, symlinked aliases folded');
    t.ok(jdks.length > 0);
    for (const jdk of jdks)
      t.equal(
        jdk.major,
        parseJavaVersion(/JAVA_VERSION="([^"]+)"/.exec(readFileSync(join(jdk.home, 'release'), 'utf8'))![1]!),
      );
    t.same(
      jdks.map((j) => j.major),
      [...jdks.map((j) => j.major)].sort((a, b) => b - a),
      'newest first',
    );
    // This machine has OpenJDK 17 and Temurin 25 (the brief's environment).
    t.ok(
      jdks.some((j) => j.major === 17 && j.home.includes('java-17-openjdk')),
      'OpenJDK 17',
    );
    t.ok(
      jdks.some((j) => j.major === 25 && j.home.includes('temurin-25')),
      'Temurin 25',
    );
  });

  void t.test('reads release files, JAVA_HOME, and skips directories that are not JDKs', async (t) => {
    const root = join(scratch, 'jvm');
    const make = (dir: string, release?: string) => {
      mkdirSync(join(dir, 'bin'), { recursive: true });
      if (release !== undefined) writeFileSync(join(dir, 'release'), release);
      writeFileSync(join(dir, 'bin', 'java'), '#!/bin/sh\n', { mode: 0o755 });
    };
    make(join(root, 'jdk8'), 'IMPLEMENTOR="x"\nJAVA_VERSION="1.8.0_392"\n');
    make(join(root, 'jdk21'), 'JAVA_VERSION="21.0.4"\n');
    make(join(root, 'no-release'));
    mkdirSync(join(root, 'empty'));
    make(join(scratch, 'elsewhere-jdk'), 'JAVA_VERSION="22"\n');
    const saved = keyVaultInternals.jvmRoots;
    keyVaultInternals.jvmRoots = [root];
    process.env.JAVA_HOME = join(scratch, 'elsewhere-jdk');
    t.teardown(() => {
      keyVaultInternals.jvmRoots = saved;
      if (originalEnv.JAVA_HOME === undefined) delete process.env.JAVA_HOME;
      else process.env.JAVA_HOME = originalEnv.JAVA_HOME;
    });
    t.same(
      findJdks().map((j) => [j.major, j.version]),
      [
        [22, '22'],
        [21, '21.0.4'],
        [8, '1.8.0_392'],
      ],
    );
  });
  t.end();
});
