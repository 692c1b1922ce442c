import type { Queryable } from '../db/pool';
import type { CheckResult, DriftCheckName } from './drift-checks';

export interface StoredCheck extends CheckResult {
  checkedAt: string;
  changedAt: string;
}

interface Row {
  check_name: DriftCheckName;
  passed: boolean;
  evidence: { detail: string; evidence: Record<string, unknown> };
  checked_at: string | Date;
  changed_at: string | Date;
}

export function createDriftRepository() {
  return {
    /** Stores one result; answers what it was before (null: never checked). */
    async record(db: Queryable, accountId: string, result: CheckResult, at: string): Promise<boolean | null> {
      const { rows } = await db.query<{ passed: boolean }>(
        'SELECT passed FROM drift_checks WHERE account_id = $1 AND check_name = $2 FOR UPDATE',
        [accountId, result.name],
      );
      const before = rows[0]?.passed ?? null;
      await db.query(
        `INSERT INTO drift_checks (account_id, check_name, passed, evidence, checked_at, changed_at) VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (account_id, check_name) DO UPDATE SET passed = EXCLUDED.passed, evidence = EXCLUDED.evidence, checked_at = EXCLUDED.checked_at,
           changed_at = CASE WHEN drift_checks.passed = EXCLUDED.passed THEN drift_checks.changed_at ELSE EXCLUDED.checked_at END`,
        [
          accountId,
          result.name,
          result.passed,
          JSON.stringify({ detail: result.detail, evidence: result.evidence }),
          at,
        ],
      );
      return before;
    },

    async forAccount(db: Queryable, accountId: string): Promise<StoredCheck[]> {
      const { rows } = await db.query<Row>('SELECT * FROM drift_checks WHERE account_id = $1 ORDER BY check_name', [
        accountId,
      ]);
      return rows.map((row) => ({
        name: row.check_name,
        passed: row.passed,
        detail: row.evidence.detail,
        evidence: row.evidence.evidence,
        checkedAt: new Date(row.checked_at).toISOString(),
        changedAt: new Date(row.changed_at).toISOString(),
      }));
    },
  };
}
