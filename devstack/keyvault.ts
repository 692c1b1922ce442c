import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { startKeyVaultEmulator } from './keyvault-emulator/server';
import { launchLowkey, type LaunchedVault } from './lowkey-vault-launch';
import { describeFailure, obtainLowkey } from './lowkey-vault-obtain';

export {
  findJdks,
  keyVaultInternals,
  negativeCacheMarkerPath,
  parseJavaVersion,
  requiredJava,
  type Jdk,
} from './lowkey-vault-obtain';

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

const lowkey = (vault: LaunchedVault): KeyVault => ({ ...vault, kind: 'lowkey-vault', faults: false });

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
      return lowkey(await launchLowkey(found.jar, found.jdk, dataDir, log)); // asked for explicitly: failing is an error
    } else {
      try {
        return lowkey(await launchLowkey(found.jar, found.jdk, dataDir, log));
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
