import type { AlertType } from '../../domain/lifecycle';
import type { AlertContent } from '../message';
import { actionOf, headline } from '../message';
import { atLeast } from '../severity';
import type { Sink } from '../sinks';

type PagerDutySink = Extract<Sink, { format: 'pagerduty' }>;

// Which incident an event belongs to, and the event that ends it: the release incident is
// resolved when the session is closed and re-sealed, the review incident when the review is recorded.
const RESOLVES: Partial<Record<AlertType, 'release' | 'review'>> = {
  'session.closed': 'release',
  'review.completed': 'review',
};
const incidentOf = (type: AlertType): 'release' | 'review' => (type.startsWith('review.') ? 'review' : 'release');

/** One dedup key per request and incident, so every trigger of a release lands on one PagerDuty alert. */
export function dedupKey(alert: Pick<AlertContent, 'type' | 'requestId' | 'eventId'>): string {
  if (!alert.requestId) return `breakglass/${alert.type}/${alert.eventId}`.slice(0, 255);
  const incident = RESOLVES[alert.type] ?? incidentOf(alert.type);
  return `breakglass/${alert.requestId}${incident === 'review' ? '/review' : ''}`.slice(0, 255);
}

/**
 * Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/): `trigger` for
 * events at or above the sink's minimum severity, `resolve` when the session is re-sealed (whatever
 * the minimum, so an incident never stays open), nothing for the daily checkpoint.
 */
export function pagerDutyBody(alert: AlertContent, sink: PagerDutySink) {
  const key = dedupKey(alert);
  if (RESOLVES[alert.type]) return { routing_key: sink.routingKey, dedup_key: key, event_action: 'resolve' };
  if (alert.type === 'audit.checkpoint' || !atLeast(alert.severity, sink.minSeverity)) return null;
  return {
    routing_key: sink.routingKey,
    dedup_key: key,
    event_action: 'trigger',
    payload: {
      summary: headline(alert).slice(0, 1024),
      source: 'breakglass',
      // Events API v2 knows critical, error, warning and info.
      severity: alert.severity === 'high' ? 'error' : alert.severity,
      timestamp: alert.at,
      component: alert.accountId ?? 'breakglass',
      group: 'breakglass',
      class: alert.type,
      custom_details: {
        requestId: alert.requestId,
        accountId: alert.accountId,
        actor: alert.actor,
        summary: alert.summary,
        auditHead: alert.auditHead,
      },
    },
    links: alert.link ? [{ href: alert.link, text: actionOf(alert.type) }] : [],
    client: 'Breakglass',
    ...(alert.link ? { client_url: alert.link } : {}),
  };
}
