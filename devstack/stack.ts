import { join } from 'node:path';
import { startKeyVault } from './keyvault';
import { startEmbeddedPostgres } from './postgres';
import { startTemporalDevServer } from './temporal';

export interface LocalStack {
  /** Environment for the API and worker processes, in the names of the configuration schema. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export interface StackOptions {
  dataDir: string;
  /** Dev keeps Temporal's SQLite file under dataDir; tests use a throwaway in-memory one. */
  persistTemporal: boolean;
  /** Start only what the environment does not already provide. */
  provided?: { DATABASE_URL?: string; TEMPORAL_ADDRESS?: string; KEYVAULT_URL?: string };
  log?: (line: string) => void;
  /** The built-in Key Vault emulator with its test-only fault switch on (the test suite). */
  keyVaultFaults?: boolean;
  /** Temporal dynamic config; by default TEMPORAL_DYNAMIC_CONFIG. */
  temporalDynamicConfig?: Readonly<Record<string, number>>;
}

export async function startLocalStack(options: StackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const provided = options.provided ?? {};
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    await Promise.allSettled(stops.reverse().map((stopOne) => stopOne()));
  };
  try {
    const [postgres, temporal, keyvault] = await Promise.all([
      provided.DATABASE_URL
        ? null
        : startEmbeddedPostgres({ dataDir: join(options.dataDir, 'postgres'), log }).then(
            (s) => (stops.push(s.stop), s),
          ),
      provided.TEMPORAL_ADDRESS
        ? null
        : startTemporalDevServer({
            dbFile: options.persistTemporal ? join(options.dataDir, 'temporal', 'temporal.sqlite') : undefined,
            log,
            dynamicConfig: options.temporalDynamicConfig,
          }).then((s) => (stops.push(s.stop), s)),
      provided.KEYVAULT_URL
        ? null
        : startKeyVault({ dataDir: join(options.dataDir, 'keyvault'), log, faults: options.keyVaultFaults }).then(
            (s) => (stops.push(s.close), s),
          ),
    ]);
    const env: Record<string, string> = {};
    if (postgres) env.DATABASE_URL = postgres.url;
    if (temporal) env.TEMPORAL_ADDRESS = temporal.address;
    if (keyvault) {
      env.KEYVAULT_URL = keyvault.url;
      env.KEYVAULT_CA_CERT = keyvault.caCertPath;
      env.KEYVAULT_CREDENTIAL = 'emulator';
      env.KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION = 'true';
    }
    return { env, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
