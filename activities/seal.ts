import { ApplicationFailure, log } from '@temporalio/activity';
import type { SecretClient } from '@azure/keyvault-secrets';
import { SecretMissingError, sealAllVersions, unsealLatest } from '../src/keyvault/seal';
import type { SealResult, SecretRef } from './types';

export function createSealActivities(deps: { secrets: SecretClient }) {
  async function run(
    what: 'sealed' | 'unsealed',
    secretName: string,
    work: () => Promise<string[]>,
  ): Promise<SealResult> {
    try {
      const changedVersions = await work();
      log.info(`secret ${what}`, { secretName, changedVersions: changedVersions.length });
      return { changedVersions };
    } catch (error) {
      // Still retryable: someone may restore the secret, and the seal must hold until then.
      if (error instanceof SecretMissingError) throw ApplicationFailure.retryable(error.message, 'SecretMissing');
      throw error;
    }
  }
  return {
    sealSecret: ({ secretName }: SecretRef) =>
      run('sealed', secretName, () => sealAllVersions(deps.secrets, secretName)),
    unsealSecret: ({ secretName }: SecretRef) =>
      run('unsealed', secretName, () => unsealLatest(deps.secrets, secretName)),
  };
}
