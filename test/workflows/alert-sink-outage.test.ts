import t from 'tap';
import { setupHarness, PEOPLE, type Harness } from '../helpers/harness';
import { eventually } from '../helpers/wait';

let h: Harness;
t.before(async () => {
  h = await setupHarness(t);
});

const who = (id: string, isAdmin = false) => ({ id, isAdmin });

void t.test('a sink that is down for part of a flow receives every alert once it is back', async (t) => {
  const { account } = await h.createAccount({ policy: { reviewDue: 'PT1H' } });
  await h.sink.down();
  const created = await h.lifecycle.create(who(PEOPLE.requester), {
    accountId: account.id,
    scenario: 'federation_outage',
    justification: 'ADFS down',
    incidentRef: 'INC-7',
  });
  await h.lifecycle.decide(who(PEOPLE.approver1), created.id, 'approve', null);
  const released = await h.lifecycle.decide(who(PEOPLE.approver2), created.id, 'approve', null);
  t.equal(released.status, 'released', 'the lifecycle does not wait for the sink');
  await h.lifecycle.reveal(who(PEOPLE.requester), created.id);
  const closed = await h.lifecycle.close(who(PEOPLE.requester), created.id, 'federation restored');
  t.equal(closed.status, 'awaiting_review', 're-seal is not held up by alert delivery');
  t.equal(h.sink.of(created.id).length, 0, 'nothing delivered while the sink is down');

  await new Promise((resolve) => setTimeout(resolve, 2000));
  await h.sink.up();
  const expected = [
    'request.created',
    'request.approved',
    'request.approved',
    'credential.released',
    'credential.revealed',
    'session.closed',
  ];
  const received = await eventually(
    'alerts after the outage',
    () => h.sink.of(created.id).length >= expected.length && h.sink.of(created.id),
    40_000,
  );
  t.same(received.map((alert) => alert.type).sort(), [...expected].sort(), 'every alert arrives');
  t.equal(
    new Set(received.map((alert) => alert.idempotencyKey)).size,
    received.length,
    'each alert once (distinct idempotency keys)',
  );
  for (const alert of received) {
    t.match(
      alert,
      {
        requestId: created.id,
        accountId: account.id,
        actor: String,
        at: String,
        summary: String,
        severity: /^(info|warning|critical)$/,
      },
      `${alert.type} has the contract's fields`,
    );
  }

  await h.lifecycle.review(who(PEOPLE.reviewer), created.id, {
    actionsAppropriate: true,
    signInLogsReviewed: true,
    credentialRotated: true,
    findings: 'ok',
    followUpTicket: 'T-7',
  });
  await eventually('review alert', () => h.sink.types(created.id).includes('review.completed'));
});
