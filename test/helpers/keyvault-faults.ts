import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { FaultKind } from '../../devstack/keyvault-emulator/server';

export { FAULT_KINDS, type FaultKind } from '../../devstack/keyvault-emulator/server';

/** Where the emulator is: a TestStack (its env) or the emulator's own url and CA path. */
type VaultRef = { env: { KEYVAULT_URL: string; KEYVAULT_CA_CERT: string } } | { url: string; caCertPath: string };

function locate(ref: VaultRef): { url: string; ca: string } {
  return 'env' in ref
    ? { url: ref.env.KEYVAULT_URL, ca: readFileSync(ref.env.KEYVAULT_CA_CERT, 'utf8') }
    : { url: ref.url, ca: readFileSync(ref.caCertPath, 'utf8') };
}

/**
 * Sets (or with `null` clears) the emulator's test-only fault for one secret: every request naming
 * it is then answered as Key Vault answers under that fault. Needs the emulator's fault switch on,
 * which scripts/test.ts does for the suite.
 */
export function setFault(
  ref: VaultRef,
  secretName: string,
  fault: FaultKind | null,
  options: { retryAfterSeconds?: number } = {},
): Promise<void> {
  const { url, ca } = locate(ref);
  const body = JSON.stringify({ fault, ...options });
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/_faults/secrets/${encodeURIComponent(secretName)}`,
      { method: 'PUT', ca, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve()
            : reject(new Error(`setting fault ${String(fault)} on ${secretName} answered ${res.statusCode}: ${text}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
