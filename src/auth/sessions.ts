import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Pool, Queryable } from '../db/pool';
import { UnauthenticatedError } from './errors';

/**
 * Sessions owned by the service. A session token is 256 random bits, shown once to the
 * person who signed in and stored only as its SHA-256, so a database dump holds no usable
 * token. Each call checks revocation, the idle timeout and the absolute lifetime, so a
 * revocation takes effect on the next call.
 */

const PREFIX = 'bgs_';
/** Session tokens are told apart from JWTs by shape alone (a JWT never starts with this prefix). */
export const SESSION_TOKEN = /^bgs_[A-Za-z0-9_-]{43}$/;

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface SessionSubject {
  id: string;
  roles: string[];
}

export interface Session {
  id: string;
  principal: string;
  roles: string[];
  amr: string[];
  authTime: string;
  passkeyId: string | null;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  revokedAt: string | null;
  revokedBy: string | null;
}

interface Row {
  id: string;
  principal: string;
  roles: string[];
  amr: string[];
  auth_time: string;
  passkey_id: string | null;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  revoked_at: string | null;
  revoked_by: string | null;
}

const fromRow = (row: Row): Session => ({
  id: row.id,
  principal: row.principal,
  roles: row.roles,
  amr: row.amr,
  authTime: row.auth_time,
  passkeyId: row.passkey_id,
  createdAt: row.created_at,
  lastSeenAt: row.last_seen_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
  revokedBy: row.revoked_by,
});

export interface SessionOptions {
  pool: Pool;
  idleMs: number;
  maxMs: number;
}

export function createSessions({ pool, idleMs, maxMs }: SessionOptions) {
  return {
    idleMs,
    maxMs,

    /** A new session; the token is returned here once and never again. */
    async create(
      subject: SessionSubject,
      amr: string[],
      authTime: Date,
      extra: { passkeyId?: string } = {},
      db: Queryable = pool,
    ): Promise<{ token: string; session: Session }> {
      const token = PREFIX + randomBytes(32).toString('base64url');
      const { rows } = await db.query<Row>(
        `INSERT INTO sessions (id, token_hash, principal, roles, amr, auth_time, passkey_id, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, now() + $8 * interval '1 millisecond') RETURNING *`,
        [
          randomUUID(),
          hashToken(token),
          subject.id,
          subject.roles,
          amr,
          authTime.toISOString(),
          extra.passkeyId ?? null,
          maxMs,
        ],
      );
      return { token, session: fromRow(rows[0]!) };
    },

    /** The live session for a token, its idle clock reset; otherwise a 401 saying why. */
    async authenticate(token: string): Promise<Session> {
      if (!SESSION_TOKEN.test(token)) throw new UnauthenticatedError('session token is malformed');
      const hash = hashToken(token);
      const { rows } = await pool.query<Row>(
        `UPDATE sessions SET last_seen_at = now()
         WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now() AND last_seen_at > now() - $2 * interval '1 millisecond'
         RETURNING *`,
        [hash, idleMs],
      );
      if (rows[0]) return fromRow(rows[0]);
      const { rows: found } = await pool.query<Row & { idle: boolean; expired: boolean }>(
        `SELECT *, last_seen_at <= now() - $2 * interval '1 millisecond' AS idle, expires_at <= now() AS expired FROM sessions WHERE token_hash = $1`,
        [hash, idleMs],
      );
      const row = found[0];
      if (!row) throw new UnauthenticatedError('session is unknown; sign in again');
      if (row.revoked_at) throw new UnauthenticatedError('session was revoked; sign in again');
      if (row.expired) throw new UnauthenticatedError('session reached its maximum lifetime; sign in again');
      throw new UnauthenticatedError('session ended after being idle; sign in again');
    },

    async get(id: string, db: Queryable = pool): Promise<Session | null> {
      const { rows } = await db.query<Row>('SELECT * FROM sessions WHERE id = $1', [id]);
      return rows[0] ? fromRow(rows[0]) : null;
    },

    /** A person's sessions that are still usable (or all of them with `includeEnded`), newest first. */
    async list(principal: string, options: { includeEnded?: boolean } = {}): Promise<Session[]> {
      const { rows } = await pool.query<Row>(
        `SELECT * FROM sessions WHERE principal = $1
           AND ($3 OR (revoked_at IS NULL AND expires_at > now() AND last_seen_at > now() - $2 * interval '1 millisecond'))
         ORDER BY created_at DESC LIMIT 200`,
        [principal, idleMs, options.includeEnded ?? false],
      );
      return rows.map(fromRow);
    },

    /** Revokes one session; false when it was already revoked (or does not exist). */
    async revoke(id: string, by: string, db: Queryable = pool): Promise<boolean> {
      const { rowCount } = await db.query(
        'UPDATE sessions SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL',
        [id, by],
      );
      return (rowCount ?? 0) > 0;
    },

    /** Ends every session a passkey opened, when the passkey is revoked. */
    async revokeByPasskey(passkeyId: string, by: string, db: Queryable = pool): Promise<number> {
      const { rowCount } = await db.query(
        'UPDATE sessions SET revoked_at = now(), revoked_by = $2 WHERE passkey_id = $1 AND revoked_at IS NULL',
        [passkeyId, by],
      );
      return rowCount ?? 0;
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
