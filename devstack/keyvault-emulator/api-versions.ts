import { badParameter } from './errors';

/**
 * The api-versions Azure Key Vault publishes for the secrets data plane: every version folder with a
 * secrets definition in github.com/Azure/azure-rest-api-specs, specification/keyvault/data-plane
 * (Microsoft.KeyVault/{stable,preview}/<v>/secrets.json, keyvault.json for 2015-06-01 and 2016-10-01,
 * and Secrets/{stable,preview}/<v>/ since the TypeSpec move). @azure/keyvault-secrets 4.11 sends
 * 2025-07-01 and 4.12 sends 2026-04-01. Add a version here when the specs publish one; anything
 * else is refused as Key Vault refuses it, so a client sending a made-up version fails here first.
 */
export const STABLE_API_VERSIONS = [
  '2015-06-01',
  '2016-10-01',
  '7.0',
  '7.1',
  '7.2',
  '7.3',
  '7.4',
  '7.5',
  '7.6',
  '2025-07-01',
  '2026-04-01',
] as const;

export const PREVIEW_API_VERSIONS = [
  '7.2-preview',
  '7.3-preview',
  '7.4-preview.1',
  '7.5-preview.1',
  '7.6-preview.1',
  '7.6-preview.2',
  '2025-06-01-preview',
  '2026-01-01-preview',
  '2026-03-01-preview',
  '2026-05-01-preview',
  '2026-07-01-preview',
] as const;

const KNOWN = new Set<string>([...STABLE_API_VERSIONS, ...PREVIEW_API_VERSIONS]);
export const LATEST_STABLE_API_VERSION = STABLE_API_VERSIONS[STABLE_API_VERSIONS.length - 1];

/** Key Vault's own answer to an unknown or missing api-version: 400 BadParameter with this message. */
export function checkApiVersion(apiVersion: string | null): void {
  if (apiVersion !== null && KNOWN.has(apiVersion)) return;
  throw badParameter(
    `The specified version (${apiVersion ?? ''}) is not recognized. Consider using the latest supported version (${LATEST_STABLE_API_VERSION}).`,
  );
}
