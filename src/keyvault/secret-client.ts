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
  const e = error as { statusCode?: number; code?: string; message?: string; details?: { error?: { innererror?: { code?: string } } } };
  return e?.statusCode === 403 && (e.details?.error?.innererror?.code === 'SecretDisabled' || /disabled/i.test(e.message ?? ''));
}
