import { ApplicationFailure } from '@temporalio/activity';
import { createAuditRepository } from '../src/audit/audit-repository';
import { createAccountsRepository, type Account } from '../src/db/accounts-repository';
import { withTransaction, type Pool } from '../src/db/pool';
import { SYSTEM_ACTOR } from '../src/domain/lifecycle';
import { evaluateAccount, type CheckResult } from '../src/watch/drift-checks';
import { createDriftRepository } from '../src/watch/drift-repository';
import type { GraphApi } from '../src/watch/graph-api';
import { GraphError } from '../src/watch/graph-client';

export interface DriftAccountResult {
  accountId: string;
  upn: string;
  checkedAt: string;
  checks: CheckResult[];
  /** Checks that went from pass (or never checked) to fail in this run: alerted once. */
  newlyFailed: string[];
  recovered: string[];
}

export const GRAPH_UNAVAILABLE = 'GraphUnavailable';

export function createDriftActivities(deps: { pool: Pool; graph?: GraphApi }) {
  const accounts = createAccountsRepository();
  const drift = createDriftRepository();
  const audit = createAuditRepository();

  async function checkOne(graph: GraphApi, account: Account & { entraObjectId: string }): Promise<DriftAccountResult> {
    const checks = await evaluateAccount(graph, account);
    const checkedAt = new Date().toISOString();
    const newlyFailed: string[] = [];
    const recovered: string[] = [];
    await withTransaction(deps.pool, async (tx) => {
      for (const check of checks) {
        const before = await drift.record(tx, account.id, check, checkedAt);
        if (!check.passed && before !== false) newlyFailed.push(check.name);
        if (check.passed && before === false) recovered.push(check.name);
      }
      await audit.append(tx, {
        actor: SYSTEM_ACTOR,
        action: 'account.checked',
        accountId: account.id,
        details: {
          checks: checks.map(({ name, passed, detail }) => ({ name, passed, detail })),
          newlyFailed,
          recovered,
        },
      });
      for (const name of newlyFailed) {
        const check = checks.find((c) => c.name === name)!;
        await audit.append(tx, {
          actor: SYSTEM_ACTOR,
          action: 'account.drift',
          accountId: account.id,
          details: { check: name, detail: check.detail, evidence: check.evidence },
        });
      }
      for (const name of recovered)
        await audit.append(tx, {
          actor: SYSTEM_ACTOR,
          action: 'account.drift_recovered',
          accountId: account.id,
          details: { check: name },
        });
    });
    return { accountId: account.id, upn: account.upn, checkedAt, checks, newlyFailed, recovered };
  }

  return {
    /** Every watched account, or the one named; Graph failing fails the run (the Schedule tries again next time). */
    async runDriftChecks(input: { accountId?: string }): Promise<DriftAccountResult[]> {
      if (!deps.graph)
        throw ApplicationFailure.nonRetryable(
          'Microsoft Graph is not configured for this worker (GRAPH_URL)',
          GRAPH_UNAVAILABLE,
        );
      const all = input.accountId ? [await accounts.get(deps.pool, input.accountId)] : await accounts.list(deps.pool);
      const watched = all.filter((a): a is Account & { entraObjectId: string } => Boolean(a?.entraObjectId));
      const results: DriftAccountResult[] = [];
      for (const account of watched) {
        try {
          results.push(await checkOne(deps.graph, account));
        } catch (error) {
          if (error instanceof GraphError)
            throw ApplicationFailure.nonRetryable(`drift check of ${account.id}: ${error.message}`, GRAPH_UNAVAILABLE);
          throw error;
        }
      }
      return results;
    },
  };
}
