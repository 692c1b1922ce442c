import { createAuditRepository } from '../src/audit/audit-repository';
import { createAccountsRepository, DEFAULT_WATCH, type Account } from '../src/db/accounts-repository';
import { withTransaction, type Pool } from '../src/db/pool';
import { durationToMs } from '../src/domain/durations';
import { SYSTEM_ACTOR } from '../src/domain/lifecycle';
import { createDrillRepository } from '../src/watch/drill-repository';
import { drillEvidence, lastSuccessful, type DrillEvidence } from '../src/watch/drills';

export interface OverdueDrill {
  accountId: string;
  upn: string;
  lastSuccessfulAt: string | null;
  interval: string;
  reminder: 'first' | 'repeat';
}

export async function accountDrills(pool: Pool, account: Account): Promise<DrillEvidence[]> {
  const drills = createDrillRepository();
  const views = await drills.drillRequests(pool, account.id);
  const signIns = await drills.signInsOf(
    pool,
    views.map((v) => v.id),
  );
  return views.map((view) => drillEvidence(view, signIns));
}

export function createDrillActivities(deps: { pool: Pool }) {
  const accounts = createAccountsRepository();
  const drills = createDrillRepository();
  const audit = createAuditRepository();
  return {
    /** Accounts whose last successful drill is older than their interval, at most once per `realert`. */
    async checkDrills(input: { accountId?: string; realert: string }): Promise<OverdueDrill[]> {
      const now = Date.now();
      const all = input.accountId ? [await accounts.get(deps.pool, input.accountId)] : await accounts.list(deps.pool);
      const overdue: OverdueDrill[] = [];
      for (const account of all.filter((a): a is Account => a !== null)) {
        const interval = account.watch?.drillInterval ?? DEFAULT_WATCH.drillInterval;
        const last = lastSuccessful(await accountDrills(deps.pool, account));
        // A new account gets one interval from its registration before its first drill is due.
        const since = Date.parse(last?.reviewedAt ?? account.createdAt);
        if (now - since <= durationToMs(interval)) {
          await drills.clearReminder(deps.pool, account.id);
          continue;
        }
        const previous = await drills.lastReminder(deps.pool, account.id);
        if (previous && now - Date.parse(previous) < durationToMs(input.realert)) continue;
        const at = new Date(now).toISOString();
        await withTransaction(deps.pool, async (tx) => {
          await drills.reminded(tx, account.id, at);
          await audit.append(tx, {
            actor: SYSTEM_ACTOR,
            action: 'drill.overdue',
            accountId: account.id,
            details: { lastSuccessfulAt: last?.reviewedAt ?? null, interval, reminder: previous ? 'repeat' : 'first' },
          });
        });
        overdue.push({
          accountId: account.id,
          upn: account.upn,
          lastSuccessfulAt: last?.reviewedAt ?? null,
          interval,
          reminder: previous ? 'repeat' : 'first',
        });
      }
      return overdue;
    },
  };
}
