import t from 'tap';
import { createSinkHealth, failingSinks, FAILING_SINKS_SQL } from '../../src/alerts/sink-health';
import { withTransaction } from '../../src/db/pool';
import { setupHarness, type Harness } from '../helpers/harness';

let h: Harness;
t.before(async () => {
  h = await setupHarness(t, { worker: false });
});

/** /readyz asks on every probe which sinks are failing: an index answers, not a scan of the audit trail. */
void t.test('failing sinks are found through the sink-state index, among many other audit rows', async (t) => {
  const health = createSinkHealth(h.pool);
  await health.markFailing({ id: 'pager', format: 'pagerduty' }, new Date().toISOString(), 'HTTP 503');
  await health.markFailing({ id: 'ops', format: 'slack' }, new Date().toISOString(), 'HTTP 500');
  await health.markDelivered({ id: 'ops', format: 'slack' });
  await withTransaction(h.pool, async (tx) => {
    for (let i = 0; i < 300; i += 1)
      await h.audit.append(tx, { actor: 'system', action: 'request.created', details: { i } });
  });

  const failing = await failingSinks(h.pool);
  t.same(
    failing.map((sink) => sink.sink),
    ['pager'],
    'the failing sink, not the recovered one',
  );

  const plan = await withTransaction(h.pool, async (tx) => {
    // Tiny tables are cheaper to scan; forbidding that shows whether the index can answer at all.
    await tx.query('SET LOCAL enable_seqscan = off');
    const { rows } = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${FAILING_SINKS_SQL}`);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  });
  t.match(plan, /audit_events_sink_state_idx/, `the query uses the index:\n${plan}`);
});
