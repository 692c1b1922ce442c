import type { Client } from '@temporalio/client';
import type { AuditRepository } from '../audit/audit-repository';
import type { Config } from '../config';
import type { Pool } from '../db/pool';
import { durationToMs } from '../domain/durations';
import { createChallenges } from './challenges';
import { createIdentityMappings } from './identity-mappings';
import { createPasskeys } from './passkeys';
import { createPasskeysRepository } from './passkeys-repository';
import { createServiceAlerts } from './service-alerts';
import { createSessions } from './sessions';

/** Everything the ways in need, built once per process (sessions, passkeys, identity mappings). */
export function createAuth(deps: { config: Config; pool: Pool; temporal: Client; audit: AuditRepository }) {
  const { config, pool } = deps;
  const sessions = createSessions({
    pool,
    idleMs: durationToMs(config.SESSION_IDLE_TIMEOUT),
    maxMs: durationToMs(config.SESSION_MAX_LIFETIME),
  });
  const mappings = createIdentityMappings();
  const alert = createServiceAlerts({ temporal: deps.temporal, taskQueue: config.TEMPORAL_TASK_QUEUE });
  const passkeys = createPasskeys({
    pool,
    repo: createPasskeysRepository(),
    challenges: createChallenges(pool),
    sessions,
    audit: deps.audit,
    alert,
    config: {
      rpId: config.WEBAUTHN_RP_ID,
      rpName: config.WEBAUTHN_RP_NAME,
      origins: config.WEBAUTHN_ORIGINS,
      aaguids: config.WEBAUTHN_AAGUIDS,
    },
  });
  return { sessions, mappings, passkeys };
}

export type Auth = ReturnType<typeof createAuth>;
