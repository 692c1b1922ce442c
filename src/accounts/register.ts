import type { SecretClient } from '@azure/keyvault-secrets';
import type { AuditRepository } from '../audit/audit-repository';
import type { Account, AccountsRepository, NewAccount } from '../db/accounts-repository';
import { withTransaction, type Pool } from '../db/pool';
import { REFUSAL } from '../domain/lifecycle';
import { sealAllVersions, SecretMissingError } from '../keyvault/seal';
import { RefusedError } from '../errors';

/**
 * Registers a break-glass account. The secret must already exist in Key Vault (the
 * credential is put there by the tenant's owners, never through this service) and is
 * sealed before the account is usable.
 */
export async function registerAccount(
  deps: { pool: Pool; secrets: SecretClient; accounts: AccountsRepository; audit: AuditRepository },
  actor: string,
  account: NewAccount,
): Promise<Account> {
  if (await deps.accounts.get(deps.pool, account.id))
    throw new RefusedError(REFUSAL.conflict, `account ${account.id} already exists`);
  let sealed: string[];
  try {
    sealed = await sealAllVersions(deps.secrets, account.secretName);
  } catch (error) {
    if (error instanceof SecretMissingError)
      throw new RefusedError(REFUSAL.conflict, `${error.message}; create it before registering the account`);
    throw error;
  }
  return withTransaction(deps.pool, async (tx) => {
    const created = await deps.accounts.insert(tx, account);
    if (!created)
      throw new RefusedError(
        REFUSAL.conflict,
        `account ${account.id} or secret ${account.secretName} is already registered`,
      );
    await deps.audit.append(tx, {
      actor,
      action: 'account.registered',
      accountId: account.id,
      details: {
        secretName: account.secretName,
        sealedVersions: sealed.length,
        requesters: account.requesters,
        approvers: account.approvers,
        reviewers: account.reviewers,
        policy: account.policy,
      },
    });
    return created;
  });
}
