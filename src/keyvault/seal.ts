import type { SecretClient, SecretProperties } from '@azure/keyvault-secrets';

/** Every version of a secret, oldest first. Names and attributes only: the value is never read here. */
export async function secretVersions(client: SecretClient, secretName: string): Promise<SecretProperties[]> {
  const versions: SecretProperties[] = [];
  for await (const properties of client.listPropertiesOfSecretVersions(secretName)) versions.push(properties);
  return versions.sort((a, b) => (a.createdOn?.getTime() ?? 0) - (b.createdOn?.getTime() ?? 0));
}

export class SecretMissingError extends Error {
  constructor(readonly secretName: string) {
    super(`secret ${secretName} does not exist in Key Vault`);
    this.name = 'SecretMissingError';
  }
}

/**
 * Disables every version, not just the latest: an older version left enabled would still
 * hand out a credential. Returns the versions it changed.
 */
export async function sealAllVersions(client: SecretClient, secretName: string): Promise<string[]> {
  const versions = await secretVersions(client, secretName);
  if (versions.length === 0) throw new SecretMissingError(secretName);
  const changed: string[] = [];
  for (const version of versions) {
    if (version.enabled === false) continue;
    await client.updateSecretProperties(secretName, version.version!, { enabled: false });
    changed.push(version.version!);
  }
  return changed;
}

/** Enables the latest version only; older versions stay sealed. */
export async function unsealLatest(client: SecretClient, secretName: string): Promise<string[]> {
  const versions = await secretVersions(client, secretName);
  const latest = versions[versions.length - 1];
  if (!latest) throw new SecretMissingError(secretName);
  if (latest.enabled === true) return [];
  await client.updateSecretProperties(secretName, latest.version!, { enabled: true });
  return [latest.version!];
}
