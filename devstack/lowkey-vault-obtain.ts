import {
  accessSync,
  constants,
  existsSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { cacheDir } from './cache';

/**
 * Finding Lowkey Vault for the dev/test Key Vault (see keyvault.ts): a JDK that runs it, and its
 * jar from the cache or from one download attempt from Maven Central, remembered for 24 h when it fails.
 */

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

export function describeFailure(error: unknown): string {
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
export async function obtainLowkey(
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

/** Where the 24 h "not obtainable" marker lives (delete it to make the next run ask Maven Central again). */
export function negativeCacheMarkerPath(): string {
  return join(cacheDir('lowkey-vault'), MARKER);
}
