import type { Queryable } from '../db/pool';

/** (issuer, subject) → principal, managed by admins: a second issuer's tokens act only through it. */

export interface IdentityMapping {
  issuer: string;
  subject: string;
  principal: string;
  createdBy: string;
  createdAt: string;
}

interface Row {
  issuer: string;
  subject: string;
  principal: string;
  created_by: string;
  created_at: string;
}

const fromRow = (row: Row): IdentityMapping => ({
  issuer: row.issuer,
  subject: row.subject,
  principal: row.principal,
  createdBy: row.created_by,
  createdAt: row.created_at,
});

export function createIdentityMappings() {
  return {
    async resolve(db: Queryable, issuer: string, subject: string): Promise<string | null> {
      const { rows } = await db.query<{ principal: string }>(
        'SELECT principal FROM identity_mappings WHERE issuer = $1 AND subject = $2',
        [issuer, subject],
      );
      return rows[0]?.principal ?? null;
    },

    /** Adds a mapping; null when this (issuer, subject) is already mapped (change it by removing it first). */
    async add(db: Queryable, mapping: Omit<IdentityMapping, 'createdAt'>): Promise<IdentityMapping | null> {
      const { rows } = await db.query<Row>(
        'INSERT INTO identity_mappings (issuer, subject, principal, created_by) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING *',
        [mapping.issuer, mapping.subject, mapping.principal, mapping.createdBy],
      );
      return rows[0] ? fromRow(rows[0]) : null;
    },

    async list(db: Queryable): Promise<IdentityMapping[]> {
      const { rows } = await db.query<Row>('SELECT * FROM identity_mappings ORDER BY issuer, subject LIMIT 1000');
      return rows.map(fromRow);
    },

    async remove(db: Queryable, issuer: string, subject: string): Promise<IdentityMapping | null> {
      const { rows } = await db.query<Row>(
        'DELETE FROM identity_mappings WHERE issuer = $1 AND subject = $2 RETURNING *',
        [issuer, subject],
      );
      return rows[0] ? fromRow(rows[0]) : null;
    },
  };
}

export type IdentityMappings = ReturnType<typeof createIdentityMappings>;
