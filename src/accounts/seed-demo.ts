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
  /** A second account whose reveal needs a passkey sign-in from the last 5 minutes (step-up). */
  stepUpAccountId: 'demo-stepup',
  stepUpSecretName: 'breakglass-demo-stepup',
  /** The demo account's user in the dev Graph stand-in's tenant (devstack/graph-standin/demo.ts). */
  entraObjectId: '5f0c0de0-0000-4000-8000-00000000d3a0',
};

/**
 * Dev mode only: a demo account (a requester, two approvers, a reviewer) whose sealed
 * secret holds a random throwaway value, so the README's curl walk-through works at once.
 */
export async function seedDemoAccount(deps: {
  pool: Pool;
  secrets: SecretClient;
  accounts: AccountsRepository;
  audit: AuditRepository;
}): Promise<boolean> {
  const policy = {
    requiredApprovals: 2,
    approvalTimeout: 'PT30M',
    releaseWindow: 'PT15M',
    reviewDue: 'PT72H',
    reviewReminder: 'PT24H',
  };
  const existing = await deps.accounts.get(deps.pool, DEMO.accountId);
  // A demo account seeded before the watch existed gets its Entra user too.
  if (existing && !existing.entraObjectId)
    await deps.accounts.update(deps.pool, DEMO.accountId, { entraObjectId: DEMO.entraObjectId });
  const seeded = await seedOne(
    deps,
    DEMO.accountId,
    DEMO.secretName,
    'Demo emergency access account',
    'breakglass-demo',
    policy,
    DEMO.entraObjectId,
  );
  // The first account keeps the curl walk-through working with dev tokens; this one shows the passkey step-up.
  const stepUp = await seedOne(
    deps,
    DEMO.stepUpAccountId,
    DEMO.stepUpSecretName,
    'Demo account with passkey step-up',
    'breakglass-demo-stepup',
    { ...policy, revealRequiresPasskey: 'PT5M' },
  );
  return seeded || stepUp;
}

async function seedOne(
  deps: { pool: Pool; secrets: SecretClient; accounts: AccountsRepository; audit: AuditRepository },
  id: string,
  secretName: string,
  displayName: string,
  upnName: string,
  policy: Parameters<typeof registerAccount>[2]['policy'],
  entraObjectId?: string,
): Promise<boolean> {
  if (await deps.accounts.get(deps.pool, id)) return false;
  await deps.secrets.setSecret(secretName, `demo-${randomBytes(12).toString('base64url')}`, {
    contentType: 'demo credential (not a real password)',
  });
  await registerAccount(deps, DEMO.admin, {
    id,
    displayName,
    upn: `${upnName}@contoso.onmicrosoft.com`,
    secretName,
    requesters: [DEMO.requester],
    approvers: DEMO.approvers,
    reviewers: [DEMO.reviewer],
    policy,
    ...(entraObjectId ? { entraObjectId } : {}),
  });
  return true;
}
