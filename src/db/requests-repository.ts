import type { RequestStatus } from '../domain/lifecycle';
import type { RequestView } from '../domain/request';
import { accountFromRow, type Account, type AccountRow } from './accounts-repository';
import type { Queryable } from './pool';

export class AccountBusyError extends Error {
  constructor(readonly accountId: string) {
    super(`account ${accountId} already has a request that is pending_approval or released`);
    this.name = 'AccountBusyError';
  }
}

const UNIQUE_VIOLATION = '23505';

const isOneOpenViolation = (error: unknown) =>
  (error as { code?: string }).code === UNIQUE_VIOLATION &&
  (error as { constraint?: string }).constraint === 'requests_one_open_per_account';

// A first row written by the API of the first version (version 0) whose workflow never started
// because that API died before starting it. No API writes such rows any more; one older than
// this cannot belong to a start still in flight (those were bounded to seconds).
const ABANDONED_ROW_AGE = '2 minutes';

export interface ListFilter {
  status?: RequestStatus;
  accountId?: string;
  /** null: every request (admins, auditors); otherwise the principal whose requests and accounts are visible. */
  visibleTo: string | null;
  before?: { createdAt: string; id: string };
  limit: number;
}

/** The account's columns by name (not a.*), so a prepared statement's result shape is what accountFromRow reads. */
const ACCOUNT_COLUMNS = (
  [
    'id',
    'display_name',
    'upn',
    'secret_name',
    'requesters',
    'approvers',
    'reviewers',
    'policy',
    'entra_object_id',
    'watch',
    'created_at',
    'updated_at',
  ] satisfies Array<keyof AccountRow>
)
  .map((column) => `a.${column}`)
  .join(', ');

export function createRequestsRepository() {
  return {
    /** A first row as the first version of the API wrote it (version 0); only tests write one now, to stand for what a crash left. */
    async insertPending(db: Queryable, view: RequestView): Promise<void> {
      try {
        await db.query(
          `INSERT INTO requests (id, account_id, requester, status, created_at, version, view)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [view.id, view.accountId, view.requester, view.status, view.createdAt, view.version, JSON.stringify(view)],
        );
      } catch (error) {
        if (isOneOpenViolation(error)) throw new AccountBusyError(view.accountId);
        throw error;
      }
    },

    /**
     * Applies a workflow snapshot unless the row already holds a newer version, or this one as it
     * is. A workflow task lost with its worker runs again, and its Postgres writes (local
     * activities) with it: the same version may come back with new times, and the read model
     * follows the run that counts.
     * Throws AccountBusyError when the snapshot would be a second open request of its account.
     */
    async project(db: Queryable, view: RequestView): Promise<boolean> {
      const result = await db
        .query(
          `INSERT INTO requests (id, account_id, requester, status, created_at, version, view)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, version = EXCLUDED.version, view = EXCLUDED.view
         WHERE requests.version < EXCLUDED.version OR (requests.version = EXCLUDED.version AND requests.view <> EXCLUDED.view)`,
          [view.id, view.accountId, view.requester, view.status, view.createdAt, view.version, JSON.stringify(view)],
        )
        .catch((error: unknown) => {
          throw isOneOpenViolation(error) ? new AccountBusyError(view.accountId) : error;
        });
      return (result.rowCount ?? 0) > 0;
    },

    /** The request that keeps an account busy (pending_approval or released), if any. */
    async openRequestOf(db: Queryable, accountId: string): Promise<{ id: string; version: number } | null> {
      const { rows } = await db.query<{ id: string; version: number }>(
        `SELECT id, version FROM requests WHERE account_id = $1 AND status IN ('pending_approval', 'released')`,
        [accountId],
      );
      return rows[0] ?? null;
    },

    /** Removes an abandoned first row of the account (see ABANDONED_ROW_AGE); answers its id if there was one. */
    async removeAbandoned(db: Queryable, accountId: string): Promise<string | null> {
      const { rows } = await db.query<{ id: string }>(
        `DELETE FROM requests WHERE account_id = $1 AND version = 0 AND created_at < now() - interval '${ABANDONED_ROW_AGE}' RETURNING id`,
        [accountId],
      );
      return rows[0]?.id ?? null;
    },

    async get(db: Queryable, id: string): Promise<RequestView | null> {
      const { rows } = await db.query<{ view: RequestView }>('SELECT view FROM requests WHERE id = $1', [id]);
      return rows[0]?.view ?? null;
    },

    /** A request and its account in one round trip: the read that starts every request route. */
    async getWithAccount(db: Queryable, id: string): Promise<{ view: RequestView; account: Account } | null> {
      // A named (prepared) statement: the read every request route starts with is parsed and planned once per connection.
      const { rows } = await db.query<AccountRow & { view: RequestView }>({
        name: 'request-with-account',
        text: `SELECT r.view, ${ACCOUNT_COLUMNS} FROM requests r JOIN accounts a ON a.id = r.account_id WHERE r.id = $1`,
        values: [id],
      });
      const row = rows[0];
      return row ? { view: row.view, account: accountFromRow(row) } : null;
    },

    /**
     * A request with only what deciding who may read it needs of its account: GET /v1/requests/:id
     * under load. The account's other columns (policy, watch, times) are not read, nor parsed.
     */
    async getForRead(
      db: Queryable,
      id: string,
    ): Promise<{ view: RequestView; membership: Pick<Account, 'approvers' | 'reviewers'> } | null> {
      const { rows } = await db.query<{ view: RequestView; approvers: string[]; reviewers: string[] }>({
        name: 'request-for-read',
        text: 'SELECT r.view, a.approvers, a.reviewers FROM requests r JOIN accounts a ON a.id = r.account_id WHERE r.id = $1',
        values: [id],
      });
      const row = rows[0];
      return row ? { view: row.view, membership: { approvers: row.approvers, reviewers: row.reviewers } } : null;
    },

    /** Newest first, keyset-paginated on (created_at, id). Visibility follows the account's membership as it is now. */
    async list(db: Queryable, filter: ListFilter): Promise<RequestView[]> {
      const { rows } = await db.query<{ view: RequestView }>(
        `SELECT r.view FROM requests r JOIN accounts a ON a.id = r.account_id
         WHERE ($1::text IS NULL OR r.status = $1)
           AND ($2::text IS NULL OR r.account_id = $2)
           AND ($3::text IS NULL OR r.requester = $3 OR $3 = ANY (a.approvers) OR $3 = ANY (a.reviewers))
           AND ($4::timestamptz IS NULL OR (r.created_at, r.id) < ($4::timestamptz, $5::text))
         ORDER BY r.created_at DESC, r.id DESC
         LIMIT $6`,
        [
          filter.status ?? null,
          filter.accountId ?? null,
          filter.visibleTo,
          filter.before?.createdAt ?? null,
          filter.before?.id ?? null,
          filter.limit,
        ],
      );
      return rows.map((row) => row.view);
    },
  };
}

export type RequestsRepository = ReturnType<typeof createRequestsRepository>;
