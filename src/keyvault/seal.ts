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

/**
 * Enables the current version only; older versions stay sealed. Key Vault lists versions in
 * no useful order and stamps them to the second, so every version created in the newest
 * second is enabled: a rotation never leaves the requester with a sealed current version.
 */
export async function unsealLatest(client: SecretClient, secretName: string): Promise<string[]> {
  const versions = await secretVersions(client, secretName);
  const newest = versions[versions.length - 1];
  if (!newest) throw new SecretMissingError(secretName);
  const newestSecond = newest.createdOn?.getTime() ?? 0;
  const changed: string[] = [];
  for (const version of versions.filter((candidate) => (candidate.createdOn?.getTime() ?? 0) === newestSecond)) {
    if (version.enabled === true) continue;
    await client.updateSecretProperties(secretName, version.version!, { enabled: true });
    changed.push(version.version!);
  }
  return changed;
}
