import { randomBytes } from 'node:crypto';
import type { SecretClient } from '@azure/keyvault-secrets';
import type { AuditRepository } from '../audit/audit-repository';
import type { AccountsRepository } from '../db/accounts-repository';
import type { Pool } from '../db/pool';
import { registerAccount } from './register';

export const DEMO = {
  accountId: 'demo',
  secretName: 'breakglass-demo',
  requester: 'alice',
  approvers: ['bob', 'carol'],
  reviewer: 'erin',
  admin: 'dev-admin',
  /** The demo account's user in the dev Graph stand-in's tenant (devstack/graph-standin/demo.ts). */
  entraObjectId: '5f0c0de0-0000-4000-8000-00000000d3a0',
};

/**
 * Dev mode only: a demo account (a requester, two approvers, a reviewer) whose sealed
 * secret holds a random throwaway value, so the README's curl walk-through works at once.
 */
export async function seedDemoAccount(deps: { pool: Pool; secrets: SecretClient; accounts: AccountsRepository; audit: AuditRepository }): Promise<boolean> {
  const existing = await deps.accounts.get(deps.pool, DEMO.accountId);
  // A demo account seeded before the watch existed gets its Entra user too.
  if (existing && !existing.entraObjectId) await deps.accounts.update(deps.pool, DEMO.accountId, { entraObjectId: DEMO.entraObjectId });
  if (existing) return false;
  await deps.secrets.setSecret(DEMO.secretName, `demo-${randomBytes(12).toString('base64url')}`, { contentType: 'demo credential (not a real password)' });
  await registerAccount(deps, DEMO.admin, {
    id: DEMO.accountId,
    displayName: 'Demo emergency access account',
    upn: 'breakglass-demo@contoso.onmicrosoft.com',
    secretName: DEMO.secretName,
    requesters: [DEMO.requester],
    approvers: DEMO.approvers,
    reviewers: [DEMO.reviewer],
    policy: { requiredApprovals: 2, approvalTimeout: 'PT30M', releaseWindow: 'PT15M', reviewDue: 'PT72H', reviewReminder: 'PT24H' },
    entraObjectId: DEMO.entraObjectId,
  });
  return true;
}
