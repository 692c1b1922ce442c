import type { Queryable } from '../db/pool';

/** Passkeys as stored: public material only (the private key never leaves the authenticator). */

export type PasskeyStatus = 'pending' | 'active' | 'revoked';

export interface Passkey {
  id: string;
  principal: string;
  name: string;
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
  aaguid: string;
  deviceType: string;
  backedUp: boolean;
  status: PasskeyStatus;
  createdAt: string;
  confirmedBy: string | null;
  confirmedAt: string | null;
  revokedBy: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

interface Row {
  id: string;
  principal: string;
  name: string;
  public_key: Buffer;
  counter: number;
  transports: string[];
  aaguid: string;
  device_type: string;
  backed_up: boolean;
  status: PasskeyStatus;
  created_at: string;
  confirmed_by: string | null;
  confirmed_at: string | null;
  revoked_by: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

const fromRow = (row: Row): Passkey => ({
  id: row.id,
  principal: row.principal,
  name: row.name,
  publicKey: new Uint8Array(row.public_key),
  counter: Number(row.counter),
  transports: row.transports,
  aaguid: row.aaguid,
  deviceType: row.device_type,
  backedUp: row.backed_up,
  status: row.status,
  createdAt: row.created_at,
  confirmedBy: row.confirmed_by,
  confirmedAt: row.confirmed_at,
  revokedBy: row.revoked_by,
  revokedAt: row.revoked_at,
  lastUsedAt: row.last_used_at,
});

export function createPasskeysRepository() {
  return {
    async insert(
      db: Queryable,
      key: Omit<
        Passkey,
        'status' | 'createdAt' | 'confirmedBy' | 'confirmedAt' | 'revokedBy' | 'revokedAt' | 'lastUsedAt'
      >,
    ): Promise<Passkey | null> {
      const { rows } = await db.query<Row>(
        `INSERT INTO passkeys (id, principal, name, public_key, counter, transports, aaguid, device_type, backed_up, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending') ON CONFLICT (id) DO NOTHING RETURNING *`,
        [
          key.id,
          key.principal,
          key.name,
          Buffer.from(key.publicKey),
          key.counter,
          key.transports,
          key.aaguid,
          key.deviceType,
          key.backedUp,
        ],
      );
      return rows[0] ? fromRow(rows[0]) : null;
    },

    async get(db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<Passkey | null> {
      const { rows } = await db.query<Row>(
        `SELECT * FROM passkeys WHERE id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`,
        [id],
      );
      return rows[0] ? fromRow(rows[0]) : null;
    },

    async list(db: Queryable, filter: { principal?: string; status?: PasskeyStatus }): Promise<Passkey[]> {
      const { rows } = await db.query<Row>(
        `SELECT * FROM passkeys WHERE ($1::text IS NULL OR principal = $1) AND ($2::text IS NULL OR status = $2) ORDER BY created_at DESC LIMIT 500`,
        [filter.principal ?? null, filter.status ?? null],
      );
      return rows.map(fromRow);
    },

    async confirm(db: Queryable, id: string, by: string): Promise<Passkey> {
      const { rows } = await db.query<Row>(
        `UPDATE passkeys SET status = 'active', confirmed_by = $2, confirmed_at = now() WHERE id = $1 RETURNING *`,
        [id, by],
      );
      return fromRow(rows[0]!);
    },

    async revoke(db: Queryable, id: string, by: string): Promise<Passkey> {
      const { rows } = await db.query<Row>(
        `UPDATE passkeys SET status = 'revoked', revoked_by = $2, revoked_at = now() WHERE id = $1 RETURNING *`,
        [id, by],
      );
      return fromRow(rows[0]!);
    },

    /** Records a verified use; the counter only moves forward (the caller has checked it under the row lock). */
    async used(db: Queryable, id: string, counter: number): Promise<void> {
      await db.query('UPDATE passkeys SET counter = GREATEST(counter, $2), last_used_at = now() WHERE id = $1', [
        id,
        counter,
      ]);
    },
  };
}

export type PasskeysRepository = ReturnType<typeof createPasskeysRepository>;
