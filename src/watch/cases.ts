import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { AuditRepository } from '../audit/audit-repository';
import type { Account, AccountsRepository } from '../db/accounts-repository';
import { withTransaction, type Pool } from '../db/pool';
import { NotFoundError, RefusedError } from '../errors';
import type { Principal } from '../plugins/app/auth';
import { closeCaseUpdate, mayCloseCase, type CaseRefusal, type CaseView } from './case-messages';
import { createCaseRepository } from './case-repository';

const member = (account: Account, id: string) =>
  [...account.requesters, ...account.approvers, ...account.reviewers].includes(id);

/** Unexplained-sign-in cases: who sees them, and closing one through its workflow. Refusals are audited. */
export function createCaseCommands(deps: {
  pool: Pool;
  temporal: Client;
  accounts: AccountsRepository;
  audit: AuditRepository;
}) {
  const cases = createCaseRepository();

  async function refuse(principal: Principal, view: CaseView, refusal: CaseRefusal): Promise<never> {
    await withTransaction(deps.pool, (tx) =>
      deps.audit.append(tx, {
        actor: principal.id,
        action: 'case.close.refused',
        accountId: view.accountId,
        details: { caseId: view.caseId, reason: refusal.reason, refusal: refusal.type },
      }),
    );
    throw new RefusedError(refusal.type, refusal.reason, view.status);
  }

  /** Admins, auditors and the account's members see its cases; anyone else gets the 404 of a missing case. */
  async function loadVisible(principal: Principal, caseId: string): Promise<{ view: CaseView; account: Account }> {
    const view = await cases.get(deps.pool, caseId);
    const account = view && (await deps.accounts.get(deps.pool, view.accountId));
    if (!view || !account || !(principal.isAdmin || principal.isAuditor || member(account, principal.id)))
      throw new NotFoundError(`case ${caseId}`);
    return { view, account };
  }

  return {
    loadVisible,

    async list(principal: Principal, filter: { accountId?: string; status?: 'open' | 'closed' }): Promise<CaseView[]> {
      const all = await cases.list(deps.pool, filter);
      if (principal.isAdmin || principal.isAuditor) return all;
      const accounts = new Map((await deps.accounts.list(deps.pool)).map((a) => [a.id, a]));
      return all.filter((c) => {
        const a = accounts.get(c.accountId);
        return a !== undefined && member(a, principal.id);
      });
    },

    async close(principal: Principal, caseId: string, explanation: string): Promise<CaseView> {
      const { view, account } = await loadVisible(principal, caseId);
      const refusal = mayCloseCase(view, account.reviewers, principal.id, explanation);
      if (refusal) return refuse(principal, view, refusal);
      try {
        await deps.temporal.workflow
          .getHandle(caseId)
          .executeUpdate(closeCaseUpdate, { args: [{ actor: principal.id, explanation }] });
      } catch (error) {
        if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
          return refuse(principal, view, {
            type: error.cause.type === 'Forbidden' ? 'Forbidden' : 'Conflict',
            reason: error.cause.message,
          });
        }
        if (error instanceof WorkflowNotFoundError)
          return refuse(principal, view, { type: 'Conflict', reason: 'the case workflow has finished' });
        throw error;
      }
      return (await cases.get(deps.pool, caseId))!;
    },
  };
}

export type CaseCommands = ReturnType<typeof createCaseCommands>;
