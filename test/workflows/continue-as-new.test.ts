import t from 'tap';
import { isSecretDisabledError } from '../../src/keyvault/secret-client';
import { createLifecycle } from '../../src/lifecycle/commands';
import { recordHistory } from '../helpers/histories';
import { PEOPLE, setupHarness, type Harness } from '../helpers/harness';
import { checkInvariants } from '../helpers/invariants';
import { eventually } from '../helpers/wait';

/**
 * A long Key Vault outage at re-seal time must not grow one run's history without bound: with a
 * shortened threshold the workflow continues as new while it keeps retrying, and loses neither
 * the re-seal, nor the alerts, nor the review that follows.
 */

let h: Harness;
t.before(async () => {
  h = await setupHarness(t);
});

const who = (id: string) => ({ id, isAdmin: false });

void t.test('re-seal retries continue as new past the history limit; nothing is lost', async (t) => {
  const lifecycle = createLifecycle({ ...h, taskQueue: h.taskQueue, workflowLimits: { historyEvents: 10 } });
  const { account } = await h.createAccount({ policy: { reviewDue: 'PT1H' } });
  const created = await lifecycle.create(who(PEOPLE.requester), {
    accountId: account.id,
    scenario: 'drill',
    justification: 'continue-as-new drill',
    incidentRef: null,
  });
  const firstRunId = (await h.temporal.workflow.getHandle(created.id).describe()).runId;
  await lifecycle.decide(who(PEOPLE.approver1), created.id, 'approve', null);
  await lifecycle.decide(who(PEOPLE.approver2), created.id, 'approve', null);

  // The secret disappears while released: re-sealing fails until it is recovered.
  await (await h.secrets.beginDeleteSecret(account.secretName)).pollUntilDone();
  await lifecycle.close(who(PEOPLE.requester), created.id, 'drill done');
  await eventually(
    'a continued run',
    async () => (await h.temporal.workflow.getHandle(created.id).describe()).runId !== firstRunId,
    60_000,
  );
  const first = await h.temporal.workflow.getHandle(created.id, firstRunId).describe();
  t.equal(first.status.name, 'CONTINUED_AS_NEW', 'the first run continued as new');
  const alert = await eventually(
    'the critical re-seal alert',
    () => h.sink.of(created.id).find((a) => a.type === 'credential.reseal_failed'),
    30_000,
  );
  t.equal(alert.severity, 'critical');

  await (await h.secrets.beginRecoverDeletedSecret(account.secretName)).pollUntilDone();
  await eventually(
    're-sealed and awaiting review',
    async () => (await h.requests.get(h.pool, created.id))?.status === 'awaiting_review',
    60_000,
  );
  await t
    .rejects(
      h.secrets.getSecret(account.secretName).then(() => 'handed out'),
      'the recovered secret is sealed',
    )
    .then(() => undefined);
  try {
    await h.secrets.getSecret(account.secretName);
  } catch (error) {
    t.ok(isSecretDisabledError(error), 'Key Vault refuses it as disabled');
  }
  const done = await lifecycle.review(who(PEOPLE.reviewer), created.id, {
    actionsAppropriate: true,
    signInLogsReviewed: true,
    credentialRotated: true,
    findings: 'drill',
    followUpTicket: 'D-9',
  });
  t.equal(done.status, 'completed');
  const view = await checkInvariants(t, h, created.id);
  t.same(
    view.timeline.map((entry) => entry.action),
    [
      'request.created',
      'request.approved',
      'request.approved',
      'credential.released',
      'session.closed',
      'review.completed',
    ],
    'one timeline across the runs',
  );
  const delivered = await eventually('every alert delivered', () => {
    const types = h.sink.of(created.id).map((a) => a.type);
    return types.includes('review.completed') && types;
  });
  for (const type of ['request.created', 'credential.released', 'session.closed', 'review.completed'])
    t.ok(delivered.includes(type), `${type} alerted`);
  await recordHistory(h.temporal, created.id, 'continued-as-new-while-resealing', firstRunId);
});
