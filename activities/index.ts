import type { SecretClient } from '@azure/keyvault-secrets';
import type { AlertOutbox } from '../src/alerts/alert-outbox';
import type { AlertDelivery } from '../src/alerts/delivery';
import { createAuditRepository } from '../src/audit/audit-repository';
import type { Pool } from '../src/db/pool';
import { createRequestsRepository } from '../src/db/requests-repository';
import { createAlertActivities } from './alerts';
import { createEffectActivities } from './effects';
import { createRecordEvent } from './record-event';
import { createSealActivities } from './seal';
import { createWatchActivities } from './watch';
import type { GraphApi } from '../src/watch/graph-api';

export interface ActivityDeps {
  pool: Pool;
  secrets: SecretClient;
  /** Delivery to the configured sinks, shared with the alert outbox. */
  delivery: AlertDelivery;
  /** Microsoft Graph for the watch (issue 13); absent: the watch reports itself failing. */
  graph?: GraphApi;
  /** Where recorded events' alerts go (see src/alerts/alert-outbox.ts). */
  outbox: AlertOutbox;
}

export function createActivities(deps: ActivityDeps) {
  const recordEvent = createRecordEvent({
    pool: deps.pool,
    audit: createAuditRepository(),
    requests: createRequestsRepository(),
    outbox: deps.outbox,
  });
  return {
    recordEvent,
    ...createEffectActivities({ secrets: deps.secrets, recordEvent }),
    ...createSealActivities({ secrets: deps.secrets }),
    ...createAlertActivities({ delivery: deps.delivery, pool: deps.pool }),
    ...createWatchActivities({ pool: deps.pool, graph: deps.graph }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
