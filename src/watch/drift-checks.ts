import type { Account } from '../db/accounts-repository';
import { GLOBAL_ADMINISTRATOR_ROLE_ID, type GraphApi, type GraphConditionalAccessPolicy } from './graph-api';

/**
 * The posture a break-glass account must keep, checked against Graph. Each check is pass or
 * fail with the evidence a person needs to act on it.
 */

export const DRIFT_CHECKS = [
  'user_enabled',
  'cloud_only',
  'global_admin_active',
  'phishing_resistant_method',
  'conditional_access',
] as const;
export type DriftCheckName = (typeof DRIFT_CHECKS)[number];

export interface CheckResult {
  name: DriftCheckName;
  passed: boolean;
  detail: string;
  evidence: Record<string, unknown>;
}

const PHISHING_RESISTANT = [
  '#microsoft.graph.fido2AuthenticationMethod',
  '#microsoft.graph.x509CertificateAuthenticationMethod',
];

const appliesTo = (policy: GraphConditionalAccessPolicy, userId: string, groups: Set<string>) => {
  const users = policy.conditions.users ?? {};
  const excluded =
    (users.excludeUsers ?? []).includes(userId) || (users.excludeGroups ?? []).some((g) => groups.has(g));
  const included =
    (users.includeUsers ?? []).some((u) => u === 'All' || u === userId) ||
    (users.includeGroups ?? []).some((g) => groups.has(g));
  return { excluded, included };
};

export async function evaluateAccount(
  graph: GraphApi,
  account: Pick<Account, 'id' | 'upn' | 'watch'> & { entraObjectId: string },
): Promise<CheckResult[]> {
  const userId = account.entraObjectId;
  const user = await graph.user(userId);
  if (!user) {
    const missing = { userId, found: false };
    return DRIFT_CHECKS.map((name) => ({
      name,
      passed: false,
      detail: `user ${userId} does not exist in Entra ID`,
      evidence: missing,
    }));
  }
  const [assignments, eligible, methods, policies, memberOf] = await Promise.all([
    graph.roleAssignments(userId),
    graph.roleEligibilitySchedules(userId),
    graph.authenticationMethods(userId),
    graph.conditionalAccessPolicies(),
    graph.transitiveMemberOf(userId),
  ]);
  const activeGa = assignments.filter(
    (a) => a.roleDefinitionId === GLOBAL_ADMINISTRATOR_ROLE_ID && (a.directoryScopeId ?? '/') === '/',
  );
  const eligibleGa = eligible.filter((e) => e.roleDefinitionId === GLOBAL_ADMINISTRATOR_ROLE_ID);
  const strong = methods.filter((m) => PHISHING_RESISTANT.includes(m['@odata.type']));
  const groups = new Set(memberOf.filter((o) => o['@odata.type'] === '#microsoft.graph.group').map((o) => o.id));
  const enabled = policies.filter((p) => p.state === 'enabled');
  const notExcluded = enabled
    .filter((p) => !appliesTo(p, userId, groups).excluded)
    .map((p) => ({ id: p.id, displayName: p.displayName }));
  const restricting = enabled
    .filter((p) => {
      const a = appliesTo(p, userId, groups);
      return a.included && !a.excluded;
    })
    .map((p) => ({ id: p.id, displayName: p.displayName }));
  const restricted = account.watch?.conditionalAccess === 'restricted';

  return [
    {
      name: 'user_enabled',
      passed: user.accountEnabled === true,
      detail:
        user.accountEnabled === true
          ? 'the user exists and is enabled'
          : 'the user is disabled (accountEnabled is false)',
      evidence: { userId, accountEnabled: user.accountEnabled ?? null },
    },
    {
      name: 'cloud_only',
      passed: user.onPremisesSyncEnabled !== true,
      detail:
        user.onPremisesSyncEnabled === true ? 'the user is synchronised from on-premises' : 'the user is cloud-only',
      evidence: { onPremisesSyncEnabled: user.onPremisesSyncEnabled ?? null },
    },
    {
      name: 'global_admin_active',
      passed: activeGa.length > 0,
      detail:
        activeGa.length > 0
          ? 'Global Administrator is assigned as active'
          : eligibleGa.length > 0
            ? 'Global Administrator is only eligible, not active'
            : 'Global Administrator is not assigned',
      evidence: { activeAssignments: activeGa.map((a) => a.id), eligibleSchedules: eligibleGa.map((e) => e.id) },
    },
    {
      name: 'phishing_resistant_method',
      passed: strong.length > 0,
      detail:
        strong.length > 0
          ? `${strong.length} FIDO2 or certificate method(s) registered`
          : 'no FIDO2 or certificate authentication method is registered',
      evidence: { methods: methods.map((m) => m['@odata.type'].replace('#microsoft.graph.', '')) },
    },
    restricted
      ? {
          name: 'conditional_access',
          passed: restricting.length > 0,
          detail:
            restricting.length > 0
              ? `deliberately restricted by ${restricting.map((p) => p.displayName).join(', ')}`
              : 'the restricted account is not targeted by any enabled policy',
          evidence: { mode: 'restricted', restrictingPolicies: restricting },
        }
      : {
          name: 'conditional_access',
          passed: notExcluded.length === 0,
          detail:
            notExcluded.length === 0
              ? `excluded from all ${enabled.length} enabled policies`
              : `not excluded from ${notExcluded.map((p) => p.displayName).join(', ')}`,
          evidence: { mode: 'excluded', enabledPolicies: enabled.length, notExcludedFrom: notExcluded },
        },
  ];
}
