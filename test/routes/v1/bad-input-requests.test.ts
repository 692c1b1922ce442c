import t from 'tap';
import { PEOPLE } from '../../helpers/harness';
import { badInputKit } from '../../helpers/bad-input';

/**
 * Bad input over real HTTP (requests, approvals and reviews): every malformed body, query or header is answered 400 (413,
 * 415, 422 where the protocol says so) as problem+json naming the failing field paths, and leaves
 * nothing behind: no request, account, audit row, idempotency key or sealed secret.
 */

const kit = badInputKit(t);
const { leavesNothing, problem, raw, newAccount } = kit;

void t.test('POST /v1/requests: bad bodies give 400 with field paths and create nothing', async (t) => {
  const account = await newAccount();
  const create = (body: unknown) => kit.api().call('POST', '/v1/requests', { as: PEOPLE.requester, body });
  const good = { accountId: account.id, scenario: 'drill', justification: 'bad input suite' };

  await leavesNothing(t, async () => {
    problem(t, await create({}), 400, ['body.accountId', 'body.scenario', 'body.justification'], 'missing fields');
    problem(
      t,
      await create({ scenario: 'drill' }),
      400,
      ['body.accountId', 'body.justification'],
      'missing accountId and justification',
    );
    problem(
      t,
      await create({ accountId: 123, scenario: true, justification: ['x'], incidentRef: 5 }),
      400,
      ['body.accountId', 'body.scenario', 'body.justification', 'body.incidentRef'],
      'wrong types',
    );
    problem(t, await create({ ...good, scenario: 'zombie_apocalypse' }), 400, ['body.scenario'], 'unknown scenario');
    problem(t, await create({ ...good, scenario: 'DRILL' }), 400, ['body.scenario'], 'scenario in the wrong case');
    problem(
      t,
      await create({ ...good, justification: 'x'.repeat(2001) }),
      400,
      ['body.justification'],
      'justification of 2001 characters',
    );
    problem(t, await create({ ...good, justification: '   ' }), 400, ['body.justification'], 'blank justification');
    problem(
      t,
      await create({ ...good, justification: 'bell \u0007 in text' }),
      400,
      ['body.justification'],
      'control character in justification',
    );
    problem(
      t,
      await create({ ...good, incidentRef: 'I'.repeat(101) }),
      400,
      ['body.incidentRef'],
      'incidentRef of 101 characters',
    );
    problem(t, await create({ ...good, accountId: 'Not An Id!' }), 400, ['body.accountId'], 'malformed accountId');
    const extra = await create({ ...good, extra: 1, status: 'released' });
    problem(t, extra, 400, ['body.extra', 'body.status'], 'extra properties');
    problem(t, await create({ ...good, requester: PEOPLE.approver1 }), 400, ['body.requester'], 'a smuggled requester');
    problem(t, await create([good]), 400, ['body'], 'an array body');
    problem(t, await create('just a string'), 400, ['body'], 'a JSON string body');
    problem(t, await create(null), 400, ['body'], 'a JSON null body');

    const rawCreate = (headers: Record<string, string>, body?: string | Buffer) =>
      raw('POST', '/v1/requests', { as: PEOPLE.requester, headers, body });
    problem(
      t,
      await rawCreate({ 'content-type': 'application/json' }, '{"accountId": "x", '),
      400,
      ['body'],
      'non-JSON body',
    );
    problem(
      t,
      await rawCreate({ 'content-type': 'application/json' }, ''),
      400,
      ['body'],
      'empty body declared as JSON',
    );
    problem(t, await rawCreate({}, undefined), 400, ['body'], 'no body at all');
    problem(
      t,
      await rawCreate(
        { 'content-type': 'application/json' },
        `{"accountId":"${account.id}","scenario":"drill","justification":"x","__proto__":{"isAdmin":true}}`,
      ),
      400,
      ['body'],
      'prototype poisoning',
    );
    const form = await rawCreate(
      { 'content-type': 'application/x-www-form-urlencoded' },
      `accountId=${account.id}&scenario=drill&justification=x`,
    );
    problem(t, form, 415, ['body'], 'form-encoded body');
    const text = await rawCreate({ 'content-type': 'text/plain' }, JSON.stringify(good));
    t.ok([400, 415].includes(text.status), `text/plain body: 400 or 415 (got ${text.status})`);
    problem(t, text, text.status, ['body'], 'text/plain body');
    const big = await rawCreate(
      { 'content-type': 'application/json' },
      JSON.stringify({ ...good, justification: 'x'.repeat(70 * 1024) }),
    );
    problem(t, big, 413, [], 'body over 64 KiB');
    problem(
      t,
      await rawCreate({ 'content-type': 'application/json' }, Buffer.alloc(65 * 1024, 0x20)),
      413,
      [],
      'whitespace padding over 64 KiB',
    );
  });

  // The limits are exactly where the contract puts them: 2000 and 100 characters are accepted.
  const boundary = await create({ ...good, justification: 'j'.repeat(2000), incidentRef: 'I'.repeat(100) });
  t.equal(boundary.status, 201, 'justification of 2000 and incidentRef of 100 characters are accepted');
  t.equal(
    (await kit.api().call('POST', `/v1/requests/${boundary.body.id}/cancel`, { as: PEOPLE.requester, body: {} }))
      .status,
    200,
    'cancelled again',
  );
});

void t.test('approvals and reviews: bad bodies give 400 and change nothing', async (t) => {
  const account = await newAccount();
  const created = await kit.api().call('POST', '/v1/requests', {
    as: PEOPLE.requester,
    body: { accountId: account.id, scenario: 'drill', justification: 'bad decisions' },
  });
  t.equal(created.status, 201);
  const id = created.body.id as string;
  const decide = (body: unknown) =>
    kit.api().call('POST', `/v1/requests/${id}/approvals`, { as: PEOPLE.approver1, body });
  const review = (body: unknown) => kit.api().call('POST', `/v1/requests/${id}/review`, { as: PEOPLE.reviewer, body });
  const fullReview = {
    actionsAppropriate: true,
    signInLogsReviewed: true,
    credentialRotated: true,
    findings: 'f',
    followUpTicket: 'T-1',
  };

  await leavesNothing(t, async () => {
    problem(t, await decide({ decision: 'maybe' }), 400, ['body.decision'], "decision 'maybe'");
    problem(t, await decide({ decision: 'APPROVE' }), 400, ['body.decision'], "decision 'APPROVE'");
    problem(t, await decide({}), 400, ['body.decision'], 'no decision');
    problem(t, await decide({ decision: true }), 400, ['body.decision'], 'decision true');
    problem(
      t,
      await decide({ decision: 'approve', comment: 'c'.repeat(1001) }),
      400,
      ['body.comment'],
      'comment of 1001 characters',
    );
    problem(
      t,
      await decide({ decision: 'approve', approver: PEOPLE.approver2 }),
      400,
      ['body.approver'],
      'a smuggled approver',
    );
    const { actionsAppropriate: _a, signInLogsReviewed: _s, credentialRotated: _c, ...noBooleans } = fullReview;
    problem(
      t,
      await review(noBooleans),
      400,
      ['body.actionsAppropriate', 'body.signInLogsReviewed', 'body.credentialRotated'],
      'review without its booleans',
    );
    problem(
      t,
      await review({ ...fullReview, credentialRotated: 'yes' }),
      400,
      ['body.credentialRotated'],
      "credentialRotated 'yes'",
    );
    problem(t, await review({ ...fullReview, findings: '' }), 400, ['body.findings'], 'empty findings');
    problem(
      t,
      await review({ ...fullReview, followUpTicket: 'T'.repeat(101) }),
      400,
      ['body.followUpTicket'],
      'followUpTicket of 101 characters',
    );
    problem(
      t,
      await kit.api().call('POST', `/v1/requests/${id}/close`, { as: PEOPLE.requester, body: {} }),
      400,
      ['body.summary'],
      'close without summary',
    );
    problem(
      t,
      await kit.api().call('POST', `/v1/requests/${id}/cancel`, { as: PEOPLE.requester, body: { reason: 7 } }),
      400,
      ['body.reason'],
      'cancel with a numeric reason',
    );
  });
  const view = await kit.api().h.requests.get(kit.api().h.pool, id);
  t.equal(view?.status, 'pending_approval', 'the request is still pending');
  t.same(view?.approvals, [], 'with no decisions');
});
