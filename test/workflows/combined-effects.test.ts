import t from 'tap';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createEffectActivities, type EffectResult } from '../../activities/effects';
import { createRecordEvent } from '../../activities/record-event';
import { createAlertOutbox } from '../../src/alerts/alert-outbox';
import { createAlertDelivery } from '../../src/alerts/delivery';
import { durationToMs } from '../../src/domain/durations';
import { isSecretDisabledError } from '../../src/keyvault/secret-client';
import { setupHarness, PEOPLE, type Harness } from '../helpers/harness';
import { checkInvariants } from '../helpers/invariants';
import { eventually } from '../helpers/wait';

/**
 * The unseal and the re-seal run in one local activity with the event that records them
 * (releaseCredential, resealAndClose; the release with the approval that decides it): the event
 * is stamped with the time the effect succeeded,
 * and a record that fails after a successful re-seal is not mistaken for a failing re-seal.
 */

let h: Harness;
t.before(async () => {
  h = await setupHarness(t);
});

const who = (id: string) => ({ id, isAdmin: false });
const REVIEW = {
  actionsAppropriate: true,
  signInLogsReviewed: true,
  credentialRotated: false,
  findings: 'drill',
  followUpTicket: 'D-2',
};

async function released(policy: Record<string, string> = {}) {
  const { account } = await h.createAccount({ policy: { reviewDue: 'PT1H', ...policy } });
  const created = await h.lifecycle.create(who(PEOPLE.requester), {
    accountId: account.id,
    scenario: 'drill',
    justification: 'combined effects',
    incidentRef: null,
  });
  await h.lifecycle.decide(who(PEOPLE.approver1), created.id, 'approve', null);
  const view = await h.lifecycle.decide(who(PEOPLE.approver2), created.id, 'approve', null);
  return { account, id: created.id, view };
}

/** Names of the local activities the workflow ran, in order (one marker per finished one). */
async function localActivities(id: string): Promise<string[]> {
  const history = await h.temporal.workflow.getHandle(id).fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const details = event.markerRecordedEventAttributes?.details;
    if (!details) return [];
    const text = Object.values(details)
      .flatMap((payloads) => (payloads.payloads ?? []).map((p) => Buffer.from(p.data ?? []).toString('utf8')))
      .join(' ');
    return text.match(/"(recordEvent|releaseCredential|resealAndClose|sealSecret|unsealSecret)"/)?.[1] ?? [];
  });
}

void t.test('release and close are stamped with the time their effect succeeded, one task each', async (t) => {
  const { id, view } = await released();
  t.equal(view.status, 'released');
  const audit = async (action: string) =>
    (await h.audit.list(h.pool, { requestId: id, limit: 100 })).find((event) => event.action === action)!;
  const releasedEvent = await audit('credential.released');
  t.equal(view.releasedAt, releasedEvent.at, 'releasedAt is the recorded time of the release');
  t.equal(
    Date.parse(view.releaseExpiresAt!) - Date.parse(view.releasedAt!),
    durationToMs(view.policy.releaseWindow),
    'the window starts then',
  );
  t.same(releasedEvent.details.releaseExpiresAt, view.releaseExpiresAt);

  const closed = await h.lifecycle.close(who(PEOPLE.requester), id, 'done');
  t.equal(closed.status, 'awaiting_review');
  const closedEvent = await audit('session.closed');
  t.equal(closed.closedAt, closedEvent.at, 'closedAt is the recorded time of the close');
  t.equal(closedEvent.actor, PEOPLE.requester, 'recorded as the person who closed');
  t.equal(Date.parse(closed.reviewDueAt!) - Date.parse(closed.closedAt!), durationToMs('PT1H'));
  t.same(closed.timeline.at(-1), {
    at: closed.closedAt,
    action: 'session.closed',
    actor: PEOPLE.requester,
    detail: 'done',
  });

  t.same(
    await localActivities(id),
    ['recordEvent', 'recordEvent', 'releaseCredential', 'resealAndClose'],
    'the deciding approval, the unseal and its record ran in one task, the re-seal and its record in another',
  );
  t.same(
    (await h.audit.list(h.pool, { requestId: id, limit: 100 })).map((event) => `${event.action} ${event.actor}`),
    [
      `request.created ${PEOPLE.requester}`,
      `request.approved ${PEOPLE.approver1}`,
      `request.approved ${PEOPLE.approver2}`,
      'credential.released system',
      `session.closed ${PEOPLE.requester}`,
    ],
    'the trail in causal order: the deciding approval before the release',
  );
  await h.lifecycle.review(who(PEOPLE.reviewer), id, REVIEW);
  await h.temporal.workflow.getHandle(id).result();
  await checkInvariants(t, h, id);
});

void t.test('sealed, but PostgreSQL refused the record: closed once it takes it, no reseal_failed alert', async (t) => {
  const { account, id } = await released();
  // The audit trail cannot be written: every record fails, the seal itself succeeds.
  await h.pool.query('ALTER TABLE audit_events RENAME TO audit_events_away');
  let renamedBack = false;
  const renameBack = async () => {
    if (renamedBack) return;
    renamedBack = true;
    await h.pool.query('ALTER TABLE audit_events_away RENAME TO audit_events');
  };
  t.teardown(renameBack);

  const closing = await h.lifecycle.close(who(PEOPLE.requester), id, 'done').catch((error: Error) => error);
  t.ok(closing instanceof Error || closing.status === 'released', 'not reported closed before it is recorded');
  await eventually('the combined task gave up', async () => (await localActivities(id)).includes('resealAndClose'));
  try {
    await h.secrets.getSecret(account.secretName);
    t.fail('the credential is still handed out');
  } catch (error) {
    t.ok(isSecretDisabledError(error), 'sealed although the record failed');
  }
  await renameBack();

  const view = await eventually('recorded once PostgreSQL takes it', async () => {
    const current = await h.requests.get(h.pool, id);
    return current?.status === 'awaiting_review' && current;
  });
  t.equal(view.closedBy, PEOPLE.requester);
  t.notOk(
    h.sink.of(id).some((alert) => alert.type === 'credential.reseal_failed'),
    'a failed record after a good seal is not a failing re-seal',
  );
  t.same(
    await eventually('the record in history', async () => {
      const names = await localActivities(id);
      return names.at(-1) === 'recordEvent' && names.slice(-2);
    }),
    ['resealAndClose', 'recordEvent'],
    'the close recorded by the recorder, with its own retries',
  );
  await h.lifecycle.review(who(PEOPLE.reviewer), id, REVIEW);
  await h.temporal.workflow.getHandle(id).result();
  await checkInvariants(t, h, id);
});

void t.test('a re-run of the release after a worker died keeps the time the trail holds', async (t) => {
  const { account } = await h.createAccount({ policy: { reviewDue: 'PT1H' } });
  const created = await h.lifecycle.create(who(PEOPLE.requester), {
    accountId: account.id,
    scenario: 'drill',
    justification: 'stamps',
    incidentRef: null,
  });
  await h.lifecycle.decide(who(PEOPLE.approver1), created.id, 'approve', null);
  const before = (await h.requests.get(h.pool, created.id))!;
  const outbox = createAlertOutbox({
    pool: h.pool,
    delivery: createAlertDelivery({ sinks: new Map(), pool: h.pool }),
    report: async () => {},
    log: { info: () => {}, warn: () => {} },
  });
  const recordEvent = createRecordEvent({ pool: h.pool, audit: h.audit, requests: h.requests, outbox });
  const { releaseCredential } = createEffectActivities({ secrets: h.secrets, recordEvent });
  const env = new MockActivityEnvironment();
  // The first attempt records the release; its worker dies before the workflow hears of it.
  const first: EffectResult = await env.run(releaseCredential, { secretName: account.secretName, view: before });
  await new Promise((resolve) => setTimeout(resolve, 30));
  const rerun: EffectResult = await env.run(releaseCredential, { secretName: account.secretName, view: before });
  t.equal(rerun.at, first.at, 'the re-run answers the stamp of the first');
  const audit = (await h.audit.list(h.pool, { requestId: created.id, limit: 100 })).filter(
    (event) => event.action === 'credential.released',
  );
  t.equal(audit.length, 1, 'recorded once');
  const view = (await h.requests.get(h.pool, created.id))!;
  t.equal(view.releasedAt, audit[0]!.at, 'the read model agrees with the trail');
  t.equal(view.releaseExpiresAt, audit[0]!.details.releaseExpiresAt, 'and so does the window enforced');
});
