import type { ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { connect, type DetailedPeerCertificate } from 'node:tls';
import { describeFailure, type Jdk } from './lowkey-vault-obtain';
import { freePort, startService, stopService, waitFor } from './processes';

export interface LaunchedVault {
  url: string;
  caCertPath: string;
  close(): Promise<void>;
}

/** Starting a Lowkey Vault jar for the dev/test Key Vault, and proving it answers verified HTTPS. */

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

export async function launchLowkey(
  jar: string,
  jdk: Jdk,
  dataDir: string,
  log: (line: string) => void,
): Promise<LaunchedVault> {
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
    return { url, caCertPath, close: () => stopService(child) };
  } catch (error) {
    await stopService(child);
    throw error;
  }
}
