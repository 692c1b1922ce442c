import { randomBytes } from 'node:crypto';
import type { Pool } from '../db/pool';
import { hashToken } from './sessions';

export type ChallengePurpose = 'registration' | 'authentication';

/**
 * WebAuthn challenges kept server-side: random, single use (consuming deletes the row in the
 * same statement that checks it, so a replayed response finds nothing), valid `ttlMs`.
 * Stored as hashes: a database reader cannot pre-compute a response for a live challenge.
 */
export function createChallenges(pool: Pool, ttlMs = 5 * 60_000) {
  return {
    async issue(purpose: ChallengePurpose, principal: string | null): Promise<string> {
      const challenge = randomBytes(32).toString('base64url');
      // Expired challenges are swept as new ones are made; the table stays small.
      await pool.query('DELETE FROM webauthn_challenges WHERE expires_at < now()');
      await pool.query(
        `INSERT INTO webauthn_challenges (challenge_hash, purpose, principal, expires_at) VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')`,
        [hashToken(challenge), purpose, principal, ttlMs],
      );
      return challenge;
    },

    /** The challenge's owner (null for sign-in challenges) if it was live; `undefined` if unknown, used or expired. */
    async consume(challenge: string, purpose: ChallengePurpose): Promise<{ principal: string | null } | undefined> {
      const { rows } = await pool.query<{ principal: string | null; live: boolean }>(
        'DELETE FROM webauthn_challenges WHERE challenge_hash = $1 AND purpose = $2 RETURNING principal, expires_at > now() AS live',
        [hashToken(challenge), purpose],
      );
      const row = rows[0];
      return row && row.live ? { principal: row.principal } : undefined;
    },
  };
}

export type Challenges = ReturnType<typeof createChallenges>;
