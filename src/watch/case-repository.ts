import type { Queryable } from '../db/pool';
import type { CaseView } from './case-messages';

interface Row {
  id: string;
  account_id: string;
  signin_id: string;
  status: 'open' | 'closed';
  opened_at: Date | string;
  due_at: Date | string;
  reminders: number;
  closed_at: Date | string | null;
  closed_by: string | null;
  explanation: string | null;
}

const fromRow = (row: Row): CaseView => ({
  caseId: row.id,
  accountId: row.account_id,
  signInId: row.signin_id,
  status: row.status,
  openedAt: new Date(row.opened_at).toISOString(),
  dueAt: new Date(row.due_at).toISOString(),
  reminders: row.reminders,
  closedAt: row.closed_at ? new Date(row.closed_at).toISOString() : null,
  closedBy: row.closed_by,
  explanation: row.explanation,
});

/** Read model of unexplained-sign-in cases, written by the case workflow's activities. */
export function createCaseRepository() {
  return {
    async open(db: Queryable, view: CaseView): Promise<void> {
      await db.query(
        `INSERT INTO signin_cases (id, account_id, signin_id, status, opened_at, due_at) VALUES ($1, $2, $3, 'open', $4, $5)
         ON CONFLICT (id) DO NOTHING`,
        [view.caseId, view.accountId, view.signInId, view.openedAt, view.dueAt],
      );
    },

    async reminded(db: Queryable, caseId: string, reminders: number): Promise<void> {
      await db.query('UPDATE signin_cases SET reminders = GREATEST(reminders, $2) WHERE id = $1', [caseId, reminders]);
    },

    async close(db: Queryable, view: CaseView): Promise<void> {
      await db.query(
        "UPDATE signin_cases SET status = 'closed', closed_at = $2, closed_by = $3, explanation = $4 WHERE id = $1",
        [view.caseId, view.closedAt, view.closedBy, view.explanation],
      );
    },

    async get(db: Queryable, caseId: string): Promise<CaseView | null> {
      const { rows } = await db.query<Row>('SELECT * FROM signin_cases WHERE id = $1', [caseId]);
      return rows[0] ? fromRow(rows[0]) : null;
    },

    async list(db: Queryable, filter: { accountId?: string; status?: 'open' | 'closed' }): Promise<CaseView[]> {
      const { rows } = await db.query<Row>(
        `SELECT * FROM signin_cases WHERE ($1::text IS NULL OR account_id = $1) AND ($2::text IS NULL OR status = $2)
         ORDER BY opened_at DESC, id DESC LIMIT 200`,
        [filter.accountId ?? null, filter.status ?? null],
      );
      return rows.map(fromRow);
    },
  };
}

export type CaseRepository = ReturnType<typeof createCaseRepository>;
