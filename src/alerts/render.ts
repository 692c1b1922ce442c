import { pagerDutyBody } from './formats/pagerduty';
import { genericBody } from './formats/generic';
import { slackBody } from './formats/slack';
import { teamsBody } from './formats/teams';
import type { AlertContent } from './message';
import { atLeast } from './severity';
import { standardWebhookHeaders } from './sign';
import type { Sink } from './sinks';

export interface Rendered {
  payload: string;
  headers: Record<string, string>;
}

/**
 * The request one sink gets for one alert, or null when the sink does not take it (below its
 * minimum severity). `deliveryId` is the same on every retry, so receivers de-duplicate on it.
 */
export function render(alert: AlertContent, sink: Sink, deliveryId: string, now: Date): Rendered | null {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': deliveryId };
  switch (sink.format) {
    case 'generic': {
      // The checkpoint is the chain's outside copy: every generic sink keeps it, whatever its minimum.
      if (alert.type !== 'audit.checkpoint' && !atLeast(alert.severity, sink.minSeverity)) return null;
      const payload = JSON.stringify(genericBody(alert));
      return {
        payload,
        headers: { ...headers, ...(sink.secret ? standardWebhookHeaders(sink.secret, deliveryId, now, payload) : {}) },
      };
    }
    case 'slack':
      return atLeast(alert.severity, sink.minSeverity) ? { payload: JSON.stringify(slackBody(alert)), headers } : null;
    case 'teams':
      return atLeast(alert.severity, sink.minSeverity) ? { payload: JSON.stringify(teamsBody(alert)), headers } : null;
    case 'pagerduty': {
      const body = pagerDutyBody(alert, sink);
      return body ? { payload: JSON.stringify(body), headers } : null;
    }
  }
}
