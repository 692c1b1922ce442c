import { ALERT_SEVERITIES } from '../domain/lifecycle';
import type { AlertSeverity } from '../domain/lifecycle';

/** Routing: a sink receives an event only at or above its minimum severity. */
export function atLeast(severity: AlertSeverity, minimum: AlertSeverity): boolean {
  return ALERT_SEVERITIES.indexOf(severity) >= ALERT_SEVERITIES.indexOf(minimum);
}
