import type { Test } from 'tap';
import type { Harness } from './harness';
import { stateQuery } from '../../src/domain/messages';
import type { RequestView } from '../../src/domain/request';

// Each event may only follow the ones that cause it.
const CAUSAL_RANK: Record<string, number> = {
  'request.created': 0,
  'request.approved': 1,
  'request.denied': 2,
  'request.cancelled': 2,
  'request.expired': 2,
  'credential.released': 3,
  'credential.revealed': 4,
  'session.closed': 5,
  'review.overdue': 6,
  'review.completed': 7,
};

/**
 * What must hold after any fault: the audit chain verifies; the request's events are in the
 * trail once each, in the order they happened (versions ascending) and in causal order; the
 * read model equals the workflow's own state.
 */
export async function checkInvariants(t: Test, h: Harness, requestId: string): Promise<RequestView> {
  const verify = await h.audit.verify(h.pool);
  t.equal(verify.ok, true, `the audit chain verifies (first broken: ${String(verify.firstBrokenSeq)})`);
  const { rows } = await h.pool.query<{ seq: number; event_id: string; action: string }>(
    `SELECT seq, event_id, action FROM audit_events WHERE request_id = $1 AND action NOT LIKE '%.refused' ORDER BY seq`,
    [requestId],
  );
  const versions = rows.map((row) => Number(row.event_id.split(':').pop()));
  t.same(
    versions,
    [...versions].sort((a, b) => a - b),
    'events are in the trail in the order they happened',
  );
  t.equal(new Set(versions).size, versions.length, 'no event is in the trail twice');
  t.same(
    versions,
    versions.map((_, index) => index + 1),
    'no event is missing from the trail',
  );
  const ranks = rows.map((row) => CAUSAL_RANK[row.action] ?? 0);
  t.same(
    ranks,
    [...ranks].sort((a, b) => a - b),
    `events follow causality: ${rows.map((row) => row.action).join(' → ')}`,
  );
  const state = await h.temporal.workflow.getHandle(requestId).query(stateQuery);
  const projected = await h.requests.get(h.pool, requestId);
  t.same(projected, state, 'the read model equals the workflow state');
  return state;
}
