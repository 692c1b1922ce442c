import { z } from 'zod';
import type { SecretClient } from '@azure/keyvault-secrets';
import type { AuditRepository } from '../audit/audit-repository';
import type { Account, AccountChanges, AccountsRepository, NewAccount } from '../db/accounts-repository';
import { withTransaction, type Pool } from '../db/pool';
import { mayManage, maySeeAccount, type Actor, type Refusal } from '../domain/rules';
import { InvalidInputError, NotFoundError, RefusedError } from '../errors';
import { accountSeparationCheck } from '../schemas/account';
import { registerAccount } from './register';

type Caller = Actor & { isAuditor?: boolean };

/**
 * The accounts commands, as the API performs them: the rule first (refusals audited), then the
 * change and its audit row in one transaction. Routes only parse and shape the reply.
 */
export function createAccountCommands(deps: {
  pool: Pool;
  secrets: SecretClient;
  accounts: AccountsRepository;
  audit: AuditRepository;
  auditRefusal(actor: Actor, action: string, refusal: Refusal, target: { accountId?: string }): Promise<void>;
  /** Told once a change to an account's members is committed (the read cache drops what it holds). */
  accountChanged?: () => void;
}) {
  async function requireManager(actor: Actor, action: string, accountId?: string): Promise<void> {
    const refusal = mayManage(actor, 'accounts');
    if (!refusal) return;
    await deps.auditRefusal(actor, action, refusal, { accountId });
    throw new RefusedError(refusal.type, refusal.reason);
  }

  return {
    async register(actor: Actor, account: NewAccount): Promise<Account> {
      await requireManager(actor, 'account.register', account.id);
      return registerAccount(deps, actor.id, account);
    },

    async list(caller: Caller): Promise<Account[]> {
      return (await deps.accounts.list(deps.pool)).filter((account) => maySeeAccount(account, caller));
    },

    /** An account the caller may not see is answered like one that does not exist. */
    async get(caller: Caller, id: string): Promise<Account> {
      const account = await deps.accounts.get(deps.pool, id);
      if (!account || !maySeeAccount(account, caller)) throw new NotFoundError(`account ${id}`);
      return account;
    },

    /** Separation of duties holds for the account as changed; requests in flight keep their copied policy. */
    async update(actor: Actor, id: string, changes: AccountChanges): Promise<Account> {
      await requireManager(actor, 'account.update', id);
      const updated = await withTransaction(deps.pool, async (tx) => {
        const current = await deps.accounts.get(tx, id);
        if (!current) throw new NotFoundError(`account ${id}`);
        const merged = { ...current, ...changes };
        const check = z
          .object({})
          .passthrough()
          .superRefine((value, ctx) => accountSeparationCheck(value as typeof merged, ctx))
          .safeParse(merged);
        if (!check.success)
          throw new InvalidInputError(
            check.error.issues.map((issue) => ({ path: ['body', ...issue.path].join('.'), message: issue.message })),
          );
        const updated = (await deps.accounts.update(tx, current.id, changes))!;
        await deps.audit.append(tx, {
          actor: actor.id,
          action: 'account.updated',
          accountId: current.id,
          details: { changes },
        });
        return updated;
      });
      deps.accountChanged?.();
      return updated;
    },
  };
}

export type AccountCommands = ReturnType<typeof createAccountCommands>;
