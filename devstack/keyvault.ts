import type { ChildProcess } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:https';
import { get as httpGet } from 'node:http';
import { join, resolve } from 'node:path';
import { connect, type DetailedPeerCertificate } from 'node:tls';
import { cacheDir } from './cache';
import { startKeyVaultEmulator } from './keyvault-emulator/server';
import { freePort, startService, stopService, waitFor } from './processes';

/**
 * The dev/test Key Vault: Lowkey Vault (https://github.com/nagyesta/lowkey-vault) when its jar
 * and a JDK that runs it are available, otherwise the built-in emulator (keyvault-emulator/).
 *
 * - BREAKGLASS_KEYVAULT=builtin   use the built-in emulator, never look for Lowkey Vault
 * - LOWKEY_VAULT_JAR=/path.jar    use that jar (no download); a failure to start it is an error
 * - BREAKGLASS_KEYVAULT_FAULTS=1  use the built-in emulator with its test-only fault switch on
 *                                 (as the `faults` option does; scripts/test.ts passes that)
 *
 * Otherwise the jar comes from the cache (cacheDir('lowkey-vault', version)) or from one download
 * attempt from Maven Central. A failed attempt is remembered for 24 h in a marker file so later
 * runs do not ask again; delete the marker to retry sooner.
 */

export interface KeyVault {
  url: string;
  caCertPath: string;
  kind: 'lowkey-vault' | 'builtin-emulator';
  /** The built-in emulator's fault switch (PUT /_faults/secrets/{name}) is on. */
  faults: boolean;
  close(): Promise<void>;
}

export interface Jdk {
  home: string;
  java: string;
  /** Feature release, e.g. 17 for "17.0.15". */
  major: number;
  version: string;
}

const MAVEN_BASE = 'https://repo.maven.apache.org/maven2/com/github/nagyesta/lowkey-vault/lowkey-vault-app';
const NEGATIVE_TTL_MS = 24 * 3600_000;
const MARKER = 'maven-unavailable.json';

/** Seams for tests: swap `fetch` to count or fake network calls, `jvmRoots` to fake JDK dirs. */
export const keyVaultInternals = {
  fetch: (input: string, init?: RequestInit): Promise<Response> => fetch(input, init),
  jvmRoots: ['/usr/lib/jvm'],
};

/**
 * The Java a Lowkey Vault major line needs: 3.x runs on 17, 4.x on 21, 6+ on 25.
 * 5.x is taken as 21 (the 4.x requirement); lines newer than we know are taken as 25.
 */
export function requiredJava(lowkeyMajor: number): number {
  if (lowkeyMajor <= 3) return 17;
  if (lowkeyMajor <= 5) return 21;
  return 25;
}
/** The newest line we know of, used to name what we wanted when nothing could be resolved. */
const NEWEST_KNOWN_LINE = 7;

function wantedLine(maxJava: number): string {
  for (let major = NEWEST_KNOWN_LINE; major >= 3; major--) if (requiredJava(major) <= maxJava) return `${major}.x`;
  return 'any';
}

export function parseJavaVersion(version: string): number {
  const parts = version.split(/[._+-]/).map((p) => Number.parseInt(p, 10));
  return parts[0] === 1 ? (parts[1] ?? 0) : (parts[0] ?? 0);
}

/** JDKs under /usr/lib/jvm and $JAVA_HOME that have a `release` file and an executable bin/java, newest first. */
export function findJdks(): Jdk[] {
  const homes: string[] = [];
  for (const root of keyVaultInternals.jvmRoots) {
    try {
      for (const entry of readdirSync(root)) homes.push(join(root, entry));
    } catch {
      /* no such root */
    }
  }
  if (process.env.JAVA_HOME) homes.push(process.env.JAVA_HOME);
  const found = new Map<string, Jdk>();
  for (const home of homes) {
    try {
      const real = realpathSync(home);
      if (found.has(real)) continue;
      const match = /^JAVA_VERSION="?([^"\n]+)"?/m.exec(readFileSync(join(real, 'release'), 'utf8'));
      const java = join(real, 'bin', 'java');
      accessSync(java, constants.X_OK);
      if (match?.[1]) found.set(real, { home: real, java, version: match[1], major: parseJavaVersion(match[1]) });
    } catch {
      /* not a usable JDK */
    }
  }
  return [...found.values()].sort((a, b) => b.major - a.major);
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++)
    if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

const isRelease = (v: string) => /^\d+\.\d+\.\d+$/.test(v);
const jarName = (version: string) => `lowkey-vault-app-${version}.jar`;
const runnable = (version: string, maxJava: number) => requiredJava(Number.parseInt(version, 10)) <= maxJava;

/** The newest cached jar that a JDK here can run. */
function cachedJar(maxJava: number): { version: string; jar: string } | undefined {
  const root = cacheDir('lowkey-vault');
  const versions = readdirSync(root)
    .filter((v) => isRelease(v) && runnable(v, maxJava) && existsSync(join(root, v, jarName(v))))
    .sort(compareVersions);
  const version = versions.at(-1);
  return version ? { version, jar: join(root, version, jarName(version)) } : undefined;
}

interface Marker {
  checkedAt: string;
  reason: string;
}

function readMarker(): (Marker & { path: string }) | undefined {
  const path = negativeCacheMarkerPath();
  try {
    const marker = JSON.parse(readFileSync(path, 'utf8')) as Marker;
    const age = Date.now() - Date.parse(marker.checkedAt);
    if (age >= 0 && age < NEGATIVE_TTL_MS) return { ...marker, path };
  } catch {
    /* none, or unreadable: ask again */
  }
  return undefined;
}

function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}

/** One attempt, no retries: resolve the newest runnable version from maven-metadata.xml and download its jar. */
async function download(maxJava: number): Promise<{ version: string; jar: string } | { failure: string }> {
  const get = async (url: string, timeoutMs: number): Promise<Response> => {
    const response = await keyVaultInternals.fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
    return response;
  };
  try {
    const metadata = await (await get(`${MAVEN_BASE}/maven-metadata.xml`, 30_000)).text();
    const versions = [...metadata.matchAll(/<version>([^<]+)<\/version>/g)].map((m) => m[1]!).filter(isRelease);
    const version = versions
      .filter((v) => runnable(v, maxJava))
      .sort(compareVersions)
      .at(-1);
    if (!version)
      return {
        failure: `no release in maven-metadata.xml runs on Java ${maxJava} (versions: ${versions.join(', ') || 'none'})`,
      };
    const jarUrl = `${MAVEN_BASE}/${version}/${jarName(version)}`;
    const jar = Buffer.from(await (await get(jarUrl, 10 * 60_000)).arrayBuffer());
    // Integrity against a truncated or mangled transfer (Central publishes a .sha1 beside every file).
    const expected = (await (await get(`${jarUrl}.sha1`, 30_000)).text()).trim().split(/\s+/)[0]?.toLowerCase();
    const actual = createHash('sha1').update(jar).digest('hex');
    if (expected !== actual)
      return { failure: `checksum mismatch for ${jarUrl} (sha1 ${actual}, expected ${expected})` };
    const dir = cacheDir('lowkey-vault', version);
    const target = join(dir, jarName(version));
    const temp = `${target}.${process.pid}.partial`;
    writeFileSync(temp, jar);
    renameSync(temp, target);
    return { version, jar: target };
  } catch (error) {
    return { failure: describeFailure(error) };
  }
}

/** Finds a jar (env, cache, one download) and the JDK to run it, or says why not. */
async function obtainLowkey(
  log: (line: string) => void,
): Promise<{ jar: string; jdk: Jdk; version?: string } | { why: string }> {
  const jdks = findJdks();
  const explicit = process.env.LOWKEY_VAULT_JAR;
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`LOWKEY_VAULT_JAR=${explicit} does not exist`);
    const versionInName = /lowkey-vault-app-(\d+\.\d+\.\d+)/.exec(explicit)?.[1];
    const needs = versionInName ? requiredJava(Number.parseInt(versionInName, 10)) : 0;
    const jdk = jdks.find((j) => j.major >= needs);
    if (!jdk)
      throw new Error(
        `LOWKEY_VAULT_JAR=${explicit} needs Java ${needs}+, and no such JDK is under /usr/lib/jvm or JAVA_HOME`,
      );
    return { jar: resolve(explicit), jdk, version: versionInName };
  }
  const newest = jdks[0];
  if (!newest || newest.major < 17)
    return { why: `no JDK 17+ under ${keyVaultInternals.jvmRoots.join(', ')} or JAVA_HOME` };
  const line = wantedLine(newest.major);
  const pick = (version: string) => jdks.find((j) => j.major >= requiredJava(Number.parseInt(version, 10)))!;

  const cached = cachedJar(newest.major);
  if (cached) return { ...cached, jdk: pick(cached.version) };

  const marker = readMarker();
  if (marker) {
    const minutes = Math.round((Date.now() - Date.parse(marker.checkedAt)) / 60_000);
    return {
      why: `Lowkey Vault ${line} not obtainable from Maven Central here (${marker.reason}; checked ${minutes} min ago, next try after 24 h or delete ${marker.path})`,
    };
  }
  log(`[keyvault] looking for Lowkey Vault ${line} (Java ${newest.major}) on Maven Central`);
  const result = await download(newest.major);
  if ('failure' in result) {
    const marker: Marker = { checkedAt: new Date().toISOString(), reason: result.failure };
    writeFileSync(negativeCacheMarkerPath(), `${JSON.stringify(marker, null, 2)}\n`);
    return { why: `Lowkey Vault ${line} not obtainable from Maven Central here (${result.failure})` };
  }
  log(`[keyvault] downloaded Lowkey Vault ${result.version} to ${result.jar}`);
  return { ...result, jdk: pick(result.version) };
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const req = httpGet(url, { timeout: 2_000 }, (res) => {
      res.resume();
      resolvePromise(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/**
 * Reads the certificate the child we just started presents, with verification off for this one
 * handshake only. This is trust on first use of a local process we launched on a port we chose; the
 * certificate is then written out and every real connection verifies against it (see verifyVault).
 * Returns the root of the presented chain (the leaf itself when it is self-signed), as PEM.
 */
function readPresentedRoot(port: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false }, () => {
      let cert: DetailedPeerCertificate = socket.getPeerCertificate(true);
      socket.end();
      while (cert.issuerCertificate && cert.issuerCertificate !== cert && cert.issuerCertificate.raw)
        cert = cert.issuerCertificate;
      if (!cert.raw) return reject(new Error('Lowkey Vault presented no certificate'));
      resolvePromise(new X509Certificate(cert.raw).toString());
    });
    socket.setTimeout(5_000, () => socket.destroy(new Error('timeout reading the certificate')));
    socket.on('error', reject);
  });
}

/** A normal, verified HTTPS request to the vault: proves the CA and host name work and the vault exists. */
function verifyVault(url: string, ca: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const req = request(
      `${url}/secrets?api-version=7.4&maxresults=1`,
      { ca, headers: { authorization: 'Bearer local' }, timeout: 5_000 },
      (res) => {
        res.resume();
        if (res.statusCode === 200) resolvePromise();
        else reject(new Error(`GET ${url}/secrets answered ${res.statusCode}`));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function launchLowkey(jar: string, jdk: Jdk, dataDir: string, log: (line: string) => void): Promise<KeyVault> {
  const port = await freePort();
  const tokenPort = await freePort();
  // The default auto-registration creates https://127.0.0.1:<server.port> and https://localhost:<server.port>
  // (plus default.lowkey-vault[.local]). `--LOWKEY_VAULT_NAMES=-` would switch ALL of that off, so we pass
  // an empty list instead: no extra "<name>.localhost" vaults. app.token.port is the plain-HTTP port
  // (token endpoint and /ping); its default 8080 would clash between parallel stacks.
  const args = ['-jar', jar, `--server.port=${port}`, `--app.token.port=${tokenPort}`, '--LOWKEY_VAULT_NAMES='];
  const child: ChildProcess = startService(jdk.java, args, { name: 'lowkey-vault', log, cwd: dataDir });
  try {
    await waitFor(
      'Lowkey Vault',
      async () => (await httpStatus(`http://127.0.0.1:${tokenPort}/ping`)) === 200,
      120_000,
      child,
    );
    const pem = await readPresentedRoot(port);
    if (child.exitCode !== null) throw new Error('Lowkey Vault exited while its certificate was read');
    const caCertPath = join(dataDir, 'lowkey-vault-ca.pem');
    writeFileSync(caCertPath, pem);
    let url: string | undefined;
    const failures: string[] = [];
    for (const host of ['127.0.0.1', 'localhost']) {
      try {
        await verifyVault(`https://${host}:${port}`, pem);
        url = `https://${host}:${port}`;
        break;
      } catch (error) {
        failures.push(`${host}: ${describeFailure(error)}`);
      }
    }
    if (!url) throw new Error(`Lowkey Vault is up, but a verified request to it failed (${failures.join('; ')})`);
    log(`[keyvault] Lowkey Vault (${jar}, Java ${jdk.version}) at ${url}; CA ${caCertPath}`);
    return { url, caCertPath, kind: 'lowkey-vault', faults: false, close: () => stopService(child) };
  } catch (error) {
    await stopService(child);
    throw error;
  }
}

export async function startKeyVault(options: {
  dataDir: string;
  log?: (line: string) => void;
  faults?: boolean;
}): Promise<KeyVault> {
  const log = options.log ?? (() => {});
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const faults = options.faults ?? process.env.BREAKGLASS_KEYVAULT_FAULTS === '1';
  let why: string;
  if (faults) {
    why = 'the fault switch is wanted (Lowkey Vault has none)';
  } else if (process.env.BREAKGLASS_KEYVAULT === 'builtin') {
    why = 'BREAKGLASS_KEYVAULT=builtin';
  } else {
    const found = await obtainLowkey(log);
    if ('why' in found) {
      why = found.why;
    } else if (process.env.LOWKEY_VAULT_JAR) {
      return launchLowkey(found.jar, found.jdk, dataDir, log); // asked for explicitly: failing is an error
    } else {
      try {
        return await launchLowkey(found.jar, found.jdk, dataDir, log);
      } catch (error) {
        why = `Lowkey Vault ${found.version ?? found.jar} did not start (${describeFailure(error)})`;
      }
    }
  }
  log(`[keyvault] ${why}; using the built-in emulator`);
  // The emulator keeps its files (ca.crt, state.json) directly in dataDir, as before this module existed.
  const emulator = await startKeyVaultEmulator({ dataDir, log, faults });
  return {
    url: emulator.url,
    caCertPath: emulator.caCertPath,
    kind: 'builtin-emulator',
    faults: emulator.faults,
    close: emulator.close,
  };
}

/** Where the 24 h "not obtainable" marker lives (delete it to make the next run ask Maven Central again). */
export function negativeCacheMarkerPath(): string {
  return join(cacheDir('lowkey-vault'), MARKER);
}
