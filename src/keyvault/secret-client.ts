import { readFileSync } from 'node:fs';
import { DefaultAzureCredential } from '@azure/identity';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
import type { Config } from '../config';

/** The local emulator accepts any bearer token; this stands in for Entra ID in dev and tests only. */
const emulatorCredential: TokenCredential = {
  async getToken(): Promise<AccessToken> {
    return { token: 'local-emulator', expiresOnTimestamp: Date.now() + 3_600_000 };
  },
};

type PipelinePolicy = NonNullable<SecretClientOptions['additionalPolicies']>[number]['policy'];

/**
 * The SDK waits out any Retry-After Key Vault sends with a 429 or 503, however long. A reveal must
 * answer within seconds (a person is waiting) and the re-seal activity has its own retries, so a
 * longer wait is not taken inside one call: the header is dropped and the call fails at once
 * (a 429 is then not retried by the SDK; a 503 gets its short exponential retries).
 */
export const MAX_RETRY_AFTER_MS = 2_000;
const RETRY_AFTER_HEADERS = ['retry-after-ms', 'x-ms-retry-after-ms', 'retry-after'];

function retryAfterMs(header: string, value: string): number {
  if (header !== 'retry-after') return Number(value);
  const seconds = Number(value);
  return Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
}

const boundedRetryAfter: PipelinePolicy = {
  name: 'breakglassBoundedRetryAfter',
  async sendRequest(request, next) {
    const response = await next(request);
    if (response.status !== 429 && response.status !== 503) return response;
    const tooLong = RETRY_AFTER_HEADERS.some((header) => {
      const value = response.headers.get(header);
      return value !== undefined && !(retryAfterMs(header, value) <= MAX_RETRY_AFTER_MS);
    });
    if (tooLong) for (const header of RETRY_AFTER_HEADERS) response.headers.delete(header);
    return response;
  },
};

type KeyVaultConfig = Pick<
  Config,
  'KEYVAULT_URL' | 'KEYVAULT_CA_CERT' | 'KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION' | 'KEYVAULT_CREDENTIAL'
>;

export function createSecretClient(config: KeyVaultConfig): SecretClient {
  const credential = config.KEYVAULT_CREDENTIAL === 'emulator' ? emulatorCredential : new DefaultAzureCredential();
  return new SecretClient(config.KEYVAULT_URL, credential, {
    disableChallengeResourceVerification: config.KEYVAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION,
    // Trust the emulator's CA for this client only; TLS verification stays on everywhere.
    ...(config.KEYVAULT_CA_CERT ? { tlsOptions: { ca: readFileSync(config.KEYVAULT_CA_CERT, 'utf8') } } : {}),
    retryOptions: { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 2_000 },
    additionalPolicies: [{ policy: boundedRetryAfter, position: 'perRetry' }],
  });
}

/** Key Vault answers a get on a disabled secret with 403 Forbidden / SecretDisabled: the seal holding. */
export function isSecretDisabledError(error: unknown): boolean {
  const e = error as { statusCode?: number; details?: { error?: { innerError?: { code?: string } } } };
  return e?.statusCode === 403 && e.details?.error?.innerError?.code === 'SecretDisabled';
}

const CREDENTIAL_ERRORS = [
  'CredentialUnavailableError',
  'AuthenticationError',
  'AuthenticationRequiredError',
  'AggregateAuthenticationError',
];

/**
 * Why a Key Vault call failed, when the failure is Key Vault's or the service's access to it
 * rather than the caller's request: 401, 403 other than SecretDisabled (ForbiddenByRbac,
 * ForbiddenByPolicy), 404 (the secret is gone), 429, 5xx, no answer, or no token. The API answers
 * these with 503 naming Key Vault. null for anything else (SecretDisabled is the seal holding).
 */
export function keyVaultUnavailableReason(error: unknown): string | null {
  const e = error as { name?: string; statusCode?: number } | null;
  if (!e || typeof e !== 'object') return null;
  if (CREDENTIAL_ERRORS.includes(e.name ?? '')) return 'the service could not get a token for Key Vault';
  if (e.name !== 'RestError' || isSecretDisabledError(error)) return null;
  switch (e.statusCode) {
    case 401:
      return 'Key Vault did not accept the service credentials';
    case 403:
      return 'Key Vault refused the service access to the secret';
    case 404:
      return 'Key Vault does not hold the secret';
    case 429:
      return 'Key Vault is throttling requests';
    default:
      return 'Key Vault did not answer';
  }
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
