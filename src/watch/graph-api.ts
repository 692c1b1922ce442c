import { GraphError, type GraphClient } from './graph-client';

/**
 * The Graph endpoints the watch reads, with only the fields it uses. Each type names the
 * documentation page its shape follows (the stand-in's fixtures cite the same pages).
 */

/** https://learn.microsoft.com/en-us/graph/api/resources/signin?view=graph-rest-1.0 */
export interface GraphSignIn {
  id: string;
  createdDateTime: string;
  userId: string;
  userPrincipalName?: string | null;
  appId?: string | null;
  appDisplayName?: string | null;
  ipAddress?: string | null;
  clientAppUsed?: string | null;
  conditionalAccessStatus?: string | null;
  isInteractive?: boolean;
  status?: { errorCode?: number | null; failureReason?: string | null; additionalDetails?: string | null } | null;
  location?: { city?: string | null; state?: string | null; countryOrRegion?: string | null } | null;
  /** Present in the beta signIn resource; v1.0 may omit it, so it is optional here. */
  authenticationDetails?: Array<{ authenticationMethod?: string | null; succeeded?: boolean | null }>;
}

/** https://learn.microsoft.com/en-us/graph/api/resources/user?view=graph-rest-1.0 */
export interface GraphUser {
  id: string;
  userPrincipalName?: string | null;
  accountEnabled?: boolean | null;
  onPremisesSyncEnabled?: boolean | null;
}

/** https://learn.microsoft.com/en-us/graph/api/resources/unifiedroleassignment?view=graph-rest-1.0 */
export interface GraphRoleAssignment {
  id: string;
  principalId: string;
  roleDefinitionId: string;
  directoryScopeId?: string | null;
}

/** https://learn.microsoft.com/en-us/graph/api/resources/unifiedroleeligibilityschedule?view=graph-rest-1.0 */
export interface GraphRoleEligibilitySchedule {
  id: string;
  principalId: string;
  roleDefinitionId: string;
  status?: string | null;
}

/** https://learn.microsoft.com/en-us/graph/api/resources/authenticationmethod?view=graph-rest-1.0 */
export interface GraphAuthenticationMethod {
  '@odata.type': string;
  id: string;
  displayName?: string | null;
}

/** https://learn.microsoft.com/en-us/graph/api/resources/conditionalaccesspolicy?view=graph-rest-1.0 */
export interface GraphConditionalAccessPolicy {
  id: string;
  displayName: string;
  state: 'enabled' | 'disabled' | 'enabledForReportingButNotEnforced';
  conditions: {
    users?: {
      includeUsers?: string[];
      excludeUsers?: string[];
      includeGroups?: string[];
      excludeGroups?: string[];
    } | null;
  };
}

/** https://learn.microsoft.com/en-us/graph/api/user-list-transitivememberof?view=graph-rest-1.0 */
export interface GraphDirectoryObject {
  '@odata.type': string;
  id: string;
  displayName?: string | null;
}

/** The built-in Global Administrator role template id (the same in every tenant). */
export const GLOBAL_ADMINISTRATOR_ROLE_ID = '62e90394-69f5-4237-9190-012177145e10';

const quoted = (value: string) => `'${value.replace(/'/g, "''")}'`;

export function createGraphApi(graph: GraphClient) {
  return {
    /** GET /auditLogs/signIns filtered by user and time: https://learn.microsoft.com/en-us/graph/api/signin-list?view=graph-rest-1.0 */
    signIns(userId: string, since: Date): Promise<GraphSignIn[]> {
      return graph.list<GraphSignIn>('v1.0/auditLogs/signIns', {
        $filter: `userId eq ${quoted(userId)} and createdDateTime ge ${since.toISOString()}`,
        $top: '500',
      });
    },

    /** null when the user does not exist (404). */
    async user(userId: string): Promise<GraphUser | null> {
      try {
        return await graph.get<GraphUser>(`v1.0/users/${encodeURIComponent(userId)}`, {
          $select: 'id,userPrincipalName,accountEnabled,onPremisesSyncEnabled',
        });
      } catch (error) {
        if (error instanceof GraphError && error.status === 404) return null;
        throw error;
      }
    },

    roleAssignments(userId: string): Promise<GraphRoleAssignment[]> {
      return graph.list<GraphRoleAssignment>('v1.0/roleManagement/directory/roleAssignments', {
        $filter: `principalId eq ${quoted(userId)}`,
      });
    },

    roleEligibilitySchedules(userId: string): Promise<GraphRoleEligibilitySchedule[]> {
      return graph.list<GraphRoleEligibilitySchedule>('v1.0/roleManagement/directory/roleEligibilitySchedules', {
        $filter: `principalId eq ${quoted(userId)}`,
      });
    },

    authenticationMethods(userId: string): Promise<GraphAuthenticationMethod[]> {
      return graph.list<GraphAuthenticationMethod>(`v1.0/users/${encodeURIComponent(userId)}/authentication/methods`);
    },

    conditionalAccessPolicies(): Promise<GraphConditionalAccessPolicy[]> {
      return graph.list<GraphConditionalAccessPolicy>('v1.0/identity/conditionalAccess/policies');
    },

    transitiveMemberOf(userId: string): Promise<GraphDirectoryObject[]> {
      return graph.list<GraphDirectoryObject>(`v1.0/users/${encodeURIComponent(userId)}/transitiveMemberOf`, {
        $select: 'id,displayName',
      });
    },
  };
}

export type GraphApi = ReturnType<typeof createGraphApi>;
