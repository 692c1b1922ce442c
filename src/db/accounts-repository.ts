import type { PolicySnapshot } from '../domain/request';
import type { Queryable } from './pool';

export interface Account {
  id: string;
  displayName: string;
  upn: string;
  secretName: string;
  requesters: string[];
  approvers: string[];
  reviewers: string[];
  policy: PolicySnapshot;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  id: string;
  display_name: string;
  upn: string;
  secret_name: string;
  requesters: string[];
  approvers: string[];
  reviewers: string[];
  policy: PolicySnapshot;
  created_at: string;
  updated_at: string;
}

const fromRow = (row: Row): Account => ({
  id: row.id,
  displayName: row.display_name,
  upn: row.upn,
  secretName: row.secret_name,
  requesters: row.requesters,
  approvers: row.approvers,
  reviewers: row.reviewers,
  policy: row.policy,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export type NewAccount = Omit<Account, 'createdAt' | 'updatedAt'>;
export type AccountChanges = Partial<Omit<NewAccount, 'id'>>;

export function createAccountsRepository() {
  return {
    /** Returns null when the id or the secret is already registered. */
    async insert(db: Queryable, account: NewAccount): Promise<Account | null> {
      const { rows } = await db.query<Row>(
        `INSERT INTO accounts (id, display_name, upn, secret_name, requesters, approvers, reviewers, policy)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT DO NOTHING RETURNING *`,
        [account.id, account.displayName, account.upn, account.secretName, account.requesters, account.approvers, account.reviewers, JSON.stringify(account.policy)],
      );
      return rows[0] ? fromRow(rows[0]) : null;
    },

    async get(db: Queryable, id: string): Promise<Account | null> {
      const { rows } = await db.query<Row>('SELECT * FROM accounts WHERE id = $1', [id]);
      return rows[0] ? fromRow(rows[0]) : null;
    },

    async list(db: Queryable): Promise<Account[]> {
      const { rows } = await db.query<Row>('SELECT * FROM accounts ORDER BY id');
      return rows.map(fromRow);
    },

    async update(db: Queryable, id: string, changes: AccountChanges): Promise<Account | null> {
      const { rows } = await db.query<Row>(
        `UPDATE accounts SET
           display_name = COALESCE($2, display_name),
           upn = COALESCE($3, upn),
           requesters = COALESCE($4, requesters),
           approvers = COALESCE($5, approvers),
           reviewers = COALESCE($6, reviewers),
           policy = COALESCE($7, policy),
           updated_at = now()
         WHERE id = $1 RETURNING *`,
        [id, changes.displayName ?? null, changes.upn ?? null, changes.requesters ?? null, changes.approvers ?? null, changes.reviewers ?? null, changes.policy ? JSON.stringify(changes.policy) : null],
      );
      return rows[0] ? fromRow(rows[0]) : null;
    },
  };
}

export type AccountsRepository = ReturnType<typeof createAccountsRepository>;

/** For queries that join an account to something else (requests-repository's getWithAccount). */
export { fromRow as accountFromRow, type Row as AccountRow };
