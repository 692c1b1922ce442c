import t from 'tap';
import { checkpointScheduleId, ensureCheckpointSchedule } from '../../src/alerts/checkpoint-schedule';
import { hashEvent, GENESIS_HASH, type AuditFields } from '../../src/audit/chain';
import { setupApi, type ApiHarness } from '../helpers/api';
import { eventually } from '../helpers/wait';

/**
 * The daily checkpoint on a Temporal Schedule (here every 2 s) sends the chain head to the sinks;
 * verify with that checkpoint detects a full rewrite of the audit table and its head, which the
 * chain walk alone cannot.
 */

const AUDITOR = { as: 'ivy-auditor', roles: ['BreakGlass.Auditor'] };
let api: ApiHarness;

t.before(async () => {
  api = await setupApi(t);
  t.teardown(() =>
    api.h.temporal.schedule
      .getHandle(checkpointScheduleId(api.h.taskQueue))
      .delete()
      .catch(() => {}),
  );
});

// The tamperer is a database superuser who rewrites every row and the head consistently.
async function rewriteWholeChain() {
  const client = await api.h.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
    await client.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_truncate');
    const { rows } = await client.query('SELECT * FROM audit_events ORDER BY seq');
    await client.query('DELETE FROM audit_events');
    let prev = GENESIS_HASH;
    for (const row of rows) {
      const fields: AuditFields = {
        seq: Number(row.seq),
        eventId: row.event_id,
        at: row.at,
        actor: row.seq === 1 ? 'someone-else' : row.actor,
        action: row.action,
        requestId: row.request_id,
        accountId: row.account_id,
        details: row.details,
      };
      const hash = hashEvent(fields, prev);
      await client.query(
        `INSERT INTO audit_events (seq, event_id, at, actor, action, request_id, account_id, details, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
        [
          fields.seq,
          fields.eventId,
          fields.at,
          fields.actor,
          fields.action,
          fields.requestId,
          fields.accountId,
          JSON.stringify(fields.details),
          prev,
          hash,
        ],
      );
      prev = hash;
    }
    await client.query('UPDATE audit_head SET hash = $1', [prev]);
    await client.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
    await client.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_truncate');
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

void t.test(
  'the scheduled checkpoint carries the head; verify finds it, and loses it after a full rewrite',
  async (t) => {
    const { h } = api;
    await h.createAccount();
    await h.createAccount();

    // Idempotent at every worker start: a second call updates the same schedule.
    await ensureCheckpointSchedule(h.temporal, { taskQueue: h.taskQueue, everyMs: 60_000 });
    const scheduleId = await ensureCheckpointSchedule(h.temporal, { taskQueue: h.taskQueue, everyMs: 2_000 });
    const description = await h.temporal.schedule.getHandle(scheduleId).describe();
    t.same(
      description.spec.intervals?.map((interval) => interval.every),
      [2_000],
      'the schedule has the configured interval',
    );

    const checkpoint = await eventually(
      'an audit.checkpoint at the sink',
      () => h.sink.raw.find((d) => d.json.type === 'audit.checkpoint')?.json,
      20_000,
    );
    const head = (await h.pool.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head')).rows[0]!;
    t.match(
      checkpoint,
      {
        severity: 'info',
        requestId: null,
        accountId: null,
        actor: 'system',
        auditHead: head,
        summary: new RegExp(head.hash),
      },
      'the checkpoint is the current head',
    );
    await h.temporal.schedule.getHandle(scheduleId).delete();

    const found = await api.call('GET', `/v1/audit/verify?checkpoint=${head.hash}`, AUDITOR);
    t.equal(found.status, 200);
    t.same(found.body, {
      ok: true,
      events: head.seq,
      firstBrokenSeq: null,
      checkpoint: { hash: head.hash, found: true, seq: head.seq },
    });

    const unknown = await api.call('GET', `/v1/audit/verify?checkpoint=${'a'.repeat(64)}`, AUDITOR);
    t.match(
      unknown.body,
      { ok: false, firstBrokenSeq: null, checkpoint: { found: false, seq: null } },
      'a hash the chain never had is not found',
    );
    const bad = await api.call('GET', '/v1/audit/verify?checkpoint=not-a-hash', AUDITOR);
    t.equal(bad.status, 400, 'the checkpoint is validated');
    t.match(bad.headers.get('content-type'), /application\/problem\+json/);

    await rewriteWholeChain();
    const plain = await api.call('GET', '/v1/audit/verify', AUDITOR);
    t.same(
      plain.body,
      { ok: true, events: head.seq, firstBrokenSeq: null },
      'a full rewrite is consistent: the walk alone cannot see it',
    );
    const after = await api.call('GET', `/v1/audit/verify?checkpoint=${head.hash}`, AUDITOR);
    t.same(
      after.body,
      { ok: false, events: head.seq, firstBrokenSeq: null, checkpoint: { hash: head.hash, found: false, seq: null } },
      'the checkpoint is no longer in the chain',
    );
    t.equal(
      (await api.call('GET', `/v1/audit/verify?checkpoint=${head.hash}`, { as: 'mallory' })).status,
      403,
      'only admins and auditors',
    );
  },
);
