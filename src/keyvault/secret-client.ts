import { readFileSync } from 'node:fs';
import { DefaultAzureCredential } from '@azure/identity';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { SecretClient } from '@azure/keyvault-secrets';
import type { Config } from '../config';

/** The local emulator accepts any bearer token; this stands in for Entra ID in dev and tests only. */
const emulatorCredential: TokenCredential = {
  async getToken(): Promise<AccessToken> {
    return { token: 'local-emulator', expiresOnTimestamp: Date.now() + 3_600_000 };
  },
};

type KeyVaultConfig = Pick<Config, 'KEYVAULT_URL' | 'KEYVAULT_CA_CERT' | 'KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION' | 'KEYVAULT_CREDENTIAL'>;

export function createSecretClient(config: KeyVaultConfig): SecretClient {
  const credential = config.KEYVAULT_CREDENTIAL === 'emulator' ? emulatorCredential : new DefaultAzureCredential();
  return new SecretClient(config.KEYVAULT_URL, credential, {
    disableChallengeResourceVerification: config.KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION,
    // Trust the emulator's CA for this client only; TLS verification stays on everywhere.
    ...(config.KEYVAULT_CA_CERT ? { tlsOptions: { ca: readFileSync(config.KEYVAULT_CA_CERT, 'utf8') } } : {}),
    retryOptions: { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 2_000 },
  });
}

/** Key Vault answers a get on a disabled secret with 403 Forbidden / SecretDisabled: the seal holding. */
export function isSecretDisabledError(error: unknown): boolean {
  const e = error as { statusCode?: number; details?: { error?: { innerError?: { code?: string } } } };
  return e?.statusCode === 403 && e.details?.error?.innerError?.code === 'SecretDisabled';
}

/**
 * Completes the Key Vault authentication challenge once, before concurrent use. The SDK's
 * challenge policy (keyvault-common 2.x) keeps one shared challenge state: requests sent
 * concurrently before the first challenge completes can be re-sent with an empty body
 * (seen as 400 "The request body is empty"). One request first avoids that.
 */
export async function primeSecretClient(client: SecretClient): Promise<void> {
  await client.listPropertiesOfSecrets().byPage({ maxPageSize: 1 }).next();
}
