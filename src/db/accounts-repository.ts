import type { z } from 'zod';
import type { accountSchema, watchSettingsSchema } from '../schemas/account';
import type { Queryable } from './pool';

/** The account as stored; its shape is defined once, by the schema the API answers with. */
export type Account = z.output<typeof accountSchema>;
export type WatchSettings = z.output<typeof watchSettingsSchema>;

export const DEFAULT_WATCH: WatchSettings = { conditionalAccess: 'excluded', drillInterval: 'P90D' };

interface Row {
  id: string;
  display_name: string;
  upn: string;
  secret_name: string;
  requesters: string[];
  approvers: string[];
  reviewers: string[];
  policy: Account['policy'];
  entra_object_id: string | null;
  watch: Partial<WatchSettings> | null;
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
  entraObjectId: row.entra_object_id ?? null,
  watch: { ...DEFAULT_WATCH, ...row.watch },
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export type NewAccount = Omit<Account, 'createdAt' | 'updatedAt'>;

/** Watch columns are written by a second statement so the original ones stay as they were (issue 13 added them). */
async function writeWatch(
  db: Queryable,
  id: string,
  account: Pick<Partial<NewAccount>, 'entraObjectId' | 'watch'>,
): Promise<Row | null> {
  if (account.entraObjectId === undefined && account.watch === undefined) return null;
  const { rows } = await db.query<Row>(
    'UPDATE accounts SET entra_object_id = COALESCE($2, entra_object_id), watch = COALESCE($3, watch) WHERE id = $1 RETURNING *',
    [id, account.entraObjectId ?? null, account.watch ? JSON.stringify(account.watch) : null],
  );
  return rows[0] ?? null;
}
export type AccountChanges = Partial<Omit<NewAccount, 'id'>>;

export function createAccountsRepository() {
  return {
    /** Returns null when the id or the secret is already registered. */
    async insert(db: Queryable, account: NewAccount): Promise<Account | null> {
      const { rows } = await db.query<Row>(
        `INSERT INTO accounts (id, display_name, upn, secret_name, requesters, approvers, reviewers, policy)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT DO NOTHING RETURNING *`,
        [
          account.id,
          account.displayName,
          account.upn,
          account.secretName,
          account.requesters,
          account.approvers,
          account.reviewers,
          JSON.stringify(account.policy),
        ],
      );
      if (!rows[0]) return null;
      return fromRow((await writeWatch(db, account.id, account)) ?? rows[0]);
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
        [
          id,
          changes.displayName ?? null,
          changes.upn ?? null,
          changes.requesters ?? null,
          changes.approvers ?? null,
          changes.reviewers ?? null,
          changes.policy ? JSON.stringify(changes.policy) : null,
        ],
      );
      if (!rows[0]) return null;
      return fromRow((await writeWatch(db, id, changes)) ?? rows[0]);
    },
  };
}

export type AccountsRepository = ReturnType<typeof createAccountsRepository>;

/** For queries that join an account to something else (requests-repository's getWithAccount). */
export { fromRow as accountFromRow, type Row as AccountRow };
