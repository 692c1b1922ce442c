import type { SecretClient } from '@azure/keyvault-secrets';
import type { Sink } from '../src/alerts/sinks';
import { createAuditRepository } from '../src/audit/audit-repository';
import type { Pool } from '../src/db/pool';
import { createRequestsRepository } from '../src/db/requests-repository';
import { createAlertActivities } from './alerts';
import { createRecordEvent } from './record-event';
import { createSealActivities } from './seal';

export interface ActivityDeps {
  pool: Pool;
  secrets: SecretClient;
  alertSinks: Map<string, Sink>;
  /** CONSOLE_URL and ALERT_FAILING_AFTER, when configured. */
  alerts?: { consoleUrl?: string | undefined; failingAfterMs?: number };
}

export function createActivities(deps: ActivityDeps) {
  return {
    recordEvent: createRecordEvent({ pool: deps.pool, audit: createAuditRepository(), requests: createRequestsRepository() }),
    ...createSealActivities({ secrets: deps.secrets }),
    ...createAlertActivities({ sinks: deps.alertSinks, pool: deps.pool, ...deps.alerts }),
  };
}

export type Activities = ReturnType<typeof createActivities>;

