import t from 'tap';
import { isSecretDisabledError } from '../../src/keyvault/secret-client';
import { recordHistory } from '../helpers/histories';
import { setupHarness, PEOPLE, type Harness } from '../helpers/harness';
import { eventually } from '../helpers/wait';

let h: Harness;
t.before(async () => {
  h = await setupHarness(t);
});

const who = (id: string) => ({ id, isAdmin: false });

void t.test('a failing re-seal raises the critical alert and keeps retrying until it holds', async (t) => {
  const { account } = await h.createAccount({ policy: { reviewDue: 'PT1H' } });
  const created = await h.lifecycle.create(who(PEOPLE.requester), {
    accountId: account.id,
    scenario: 'drill',
    justification: 'quarterly drill',
    incidentRef: null,
  });
  await h.lifecycle.decide(who(PEOPLE.approver1), created.id, 'approve', null);
  await h.lifecycle.decide(who(PEOPLE.approver2), created.id, 'approve', null);

  // Someone deletes the secret while it is released: re-sealing cannot succeed.
  await (await h.secrets.beginDeleteSecret(account.secretName)).pollUntilDone();
  const closing = await h.lifecycle.close(who(PEOPLE.requester), created.id, 'drill done');
  t.equal(closing.status, 'released', 'not reported closed while the seal does not hold');

  const alert = await eventually(
    'reseal_failed alert',
    () => h.sink.of(created.id).find((a) => a.type === 'credential.reseal_failed'),
    30_000,
  );
  t.equal(alert.severity, 'critical');

  await (await h.secrets.beginRecoverDeletedSecret(account.secretName)).pollUntilDone();
  const closed = await eventually(
    're-seal after recovery',
    async () => {
      const view = await h.requests.get(h.pool, created.id);
      return view?.status === 'awaiting_review' && view;
    },
    60_000,
  );
  t.equal(closed.closedBy, PEOPLE.requester);
  try {
    await h.secrets.getSecret(account.secretName);
    t.fail('secret handed out after re-seal');
  } catch (error) {
    t.ok(isSecretDisabledError(error), 'the recovered secret was sealed');
  }
  await h.lifecycle.review(who(PEOPLE.reviewer), created.id, {
    actionsAppropriate: true,
    signInLogsReviewed: true,
    credentialRotated: false,
    findings: 'drill',
    followUpTicket: 'D-1',
  });
  await h.temporal.workflow.getHandle(created.id).result();
  await recordHistory(h.temporal, created.id, 'reseal-failed-then-recovered');
});
