import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

/** TLS material for the emulator: a local CA and a server certificate, made with the openssl CLI once per dataDir. */

/** Names the server certificate always covers; more can be asked for (a Compose service name, say). */
export const DEFAULT_TLS_NAMES = ['localhost', '127.0.0.1'];

const TLS_NAME =
  /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

export function tlsNames(extra: string[] = []): string[] {
  const names = [...new Set([...DEFAULT_TLS_NAMES, ...extra.map((name) => name.trim().toLowerCase()).filter(Boolean)])];
  for (const name of names) {
    // The names go into an openssl config file: anything but a host name or an IP could inject settings.
    if (!isIP(name) && !TLS_NAME.test(name)) throw new Error(`not a host name or IP address: ${JSON.stringify(name)}`);
  }
  return names;
}

function opensslConfig(names: string[]): string {
  const san = names.map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name}`)).join(', ');
  return `[req]
distinguished_name = dn
prompt = no
[dn]
CN = Breakglass Key Vault Emulator
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = ${san}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`openssl ${args[0]} failed: ${stderr || String(error)}`);
  }
}

/**
 * A certificate is reused only if it still has a day left, matches its key, (for the leaf) chains
 * to the CA and covers every name asked for.
 */
function certUsable(
  certPath: string,
  keyPath: string,
  issuer?: X509Certificate,
  names: string[] = [],
): X509Certificate | undefined {
  try {
    const cert = new X509Certificate(readFileSync(certPath));
    if (Date.parse(cert.validTo) < Date.now() + 86_400_000) return undefined;
    if (!cert.checkPrivateKey(createPrivateKey(readFileSync(keyPath)))) return undefined;
    if (issuer && !cert.verify(issuer.publicKey)) return undefined;
    if (names.some((name) => (isIP(name) ? !cert.checkIP(name) : !cert.checkHost(name)))) return undefined;
    return cert;
  } catch {
    return undefined;
  }
}

export function ensureTls(
  dataDir: string,
  names: string[] = DEFAULT_TLS_NAMES,
): { caCertPath: string; key: Buffer; cert: Buffer } {
  const path = (file: string) => join(dataDir, file);
  // The CA is kept across server-cert renewals so clients that already trust ca.crt keep working.
  let ca = certUsable(path('ca.crt'), path('ca.key'));
  let server = ca && certUsable(path('server.crt'), path('server.key'), ca, names);
  if (!server) {
    // Generate in a scratch dir and rename into place so a crash never leaves a half-written pair.
    const work = mkdtempSync(join(dataDir, '.tls-'));
    try {
      writeFileSync(join(work, 'openssl.cnf'), opensslConfig(names));
      if (!ca) {
        openssl(
          [
            'req',
            '-x509',
            '-config',
            'openssl.cnf',
            '-extensions',
            'ca_ext',
            ...EC_KEY,
            '-keyout',
            'ca.key',
            '-out',
            'ca.crt',
            '-days',
            '3650',
            '-subj',
            '/CN=Breakglass Key Vault Emulator Local CA',
          ],
          work,
        );
      } else {
        writeFileSync(join(work, 'ca.crt'), readFileSync(path('ca.crt')));
        writeFileSync(join(work, 'ca.key'), readFileSync(path('ca.key')), { mode: 0o600 });
      }
      openssl(
        [
          'req',
          '-new',
          '-config',
          'openssl.cnf',
          ...EC_KEY,
          '-keyout',
          'server.key',
          '-out',
          'server.csr',
          '-subj',
          '/CN=localhost',
        ],
        work,
      );
      openssl(
        [
          'x509',
          '-req',
          '-in',
          'server.csr',
          '-CA',
          'ca.crt',
          '-CAkey',
          'ca.key',
          '-set_serial',
          `0x${randomBytes(16).toString('hex')}`,
          '-days',
          '825',
          '-extfile',
          'openssl.cnf',
          '-extensions',
          'server_ext',
          '-out',
          'server.crt',
        ],
        work,
      );
      for (const file of ['ca.key', 'ca.crt', 'server.key', 'server.crt']) renameSync(join(work, file), path(file));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    ca = certUsable(path('ca.crt'), path('ca.key'));
    server = ca && certUsable(path('server.crt'), path('server.key'), ca, names);
    if (!server) throw new Error(`generated TLS material in ${dataDir} does not verify`);
  }
  return { caCertPath: path('ca.crt'), key: readFileSync(path('server.key')), cert: readFileSync(path('server.crt')) };
}
