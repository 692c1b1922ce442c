import t from 'tap';
import { PEOPLE } from '../../helpers/harness';
import { ADMIN, badInputKit } from '../../helpers/bad-input';

/**
 * Bad input over real HTTP (accounts): every malformed body, query or header is answered 400 (413,
 * 415, 422 where the protocol says so) as problem+json naming the failing field paths, and leaves
 * nothing behind: no request, account, audit row, idempotency key or sealed secret.
 */

const kit = badInputKit(t);
const { leavesNothing, problem } = kit;

void t.test('POST /v1/accounts: bad bodies give 400 with field paths and register nothing', async (t) => {
  const n = kit.api().h.id;
  const secretName = `bg-bad-input-${n}`;
  await kit.api().h.secrets.setSecret(secretName, `Bad-input-${n}`);
  const good = {
    id: `bad-input-${n}`,
    displayName: 'Bad input account',
    upn: `bad-input-${n}@contoso.onmicrosoft.com`,
    secretName,
    requesters: [PEOPLE.requester],
    approvers: [PEOPLE.approver1, PEOPLE.approver2],
    reviewers: [PEOPLE.reviewer],
    policy: {
      requiredApprovals: 2,
      approvalTimeout: 'PT30M',
      releaseWindow: 'PT1H',
      reviewDue: 'PT72H',
      reviewReminder: 'PT24H',
    },
  };
  const register = (body: unknown) => kit.api().call('POST', '/v1/accounts', { as: PEOPLE.admin, roles: ADMIN, body });
  const withPolicy = (policy: Record<string, unknown>) => ({ ...good, policy: { ...good.policy, ...policy } });

  await leavesNothing(t, async () => {
    for (const id of ['Bad Id', 'A', '-leading-hyphen', 'x'.repeat(64), 'under_score', '']) {
      problem(
        t,
        await register({ ...good, id }),
        400,
        ['body.id'],
        `account id ${JSON.stringify(id.length > 20 ? `${id.slice(0, 8)}…(${id.length})` : id)}`,
      );
    }
    problem(
      t,
      await register({ ...good, approvers: [PEOPLE.requester, PEOPLE.approver1, PEOPLE.approver2] }),
      400,
      ['body.approvers.0'],
      'the requester is also an approver',
    );
    problem(
      t,
      await register({ ...good, reviewers: [PEOPLE.reviewer, PEOPLE.requester] }),
      400,
      ['body.reviewers.1'],
      'the requester is also a reviewer',
    );
    problem(
      t,
      await register({ ...good, approvers: [PEOPLE.approver1] }),
      400,
      ['body.approvers'],
      'fewer approvers than requiredApprovals (default 2)',
    );
    problem(
      t,
      await register(withPolicy({ requiredApprovals: 3 })),
      400,
      ['body.approvers'],
      'fewer approvers than requiredApprovals 3',
    );
    problem(
      t,
      await register({ ...good, approvers: [PEOPLE.approver1, PEOPLE.approver1] }),
      400,
      ['body.approvers'],
      'a repeated approver',
    );
    problem(t, await register({ ...good, approvers: [] }), 400, ['body.approvers'], 'no approvers');
    problem(
      t,
      await register(withPolicy({ releaseWindow: 'PT9H' })),
      400,
      ['body.policy.releaseWindow'],
      'releaseWindow PT9H (over 8 hours)',
    );
    problem(
      t,
      await register(withPolicy({ releaseWindow: 'PT8H1S' })),
      400,
      ['body.policy.releaseWindow'],
      'releaseWindow PT8H1S',
    );
    problem(
      t,
      await register(withPolicy({ approvalTimeout: 'P1M' })),
      400,
      ['body.policy.approvalTimeout'],
      'approvalTimeout P1M (months)',
    );
    problem(t, await register(withPolicy({ reviewDue: 'abc' })), 400, ['body.policy.reviewDue'], "reviewDue 'abc'");
    problem(
      t,
      await register(withPolicy({ reviewReminder: 'PT0S' })),
      400,
      ['body.policy.reviewReminder'],
      'reviewReminder PT0S',
    );
    problem(
      t,
      await register(withPolicy({ approvalTimeout: 30 })),
      400,
      ['body.policy.approvalTimeout'],
      'a duration as a number',
    );
    problem(
      t,
      await register(withPolicy({ requiredApprovals: 0 })),
      400,
      ['body.policy.requiredApprovals'],
      'requiredApprovals 0',
    );
    problem(
      t,
      await register(withPolicy({ requiredApprovals: 1.5 })),
      400,
      ['body.policy.requiredApprovals'],
      'requiredApprovals 1.5',
    );
    problem(
      t,
      await register(withPolicy({ requiredApprovals: '2' })),
      400,
      ['body.policy.requiredApprovals'],
      "requiredApprovals '2'",
    );
    problem(t, await register({ ...good, isAdmin: true }), 400, ['body.isAdmin'], 'an extra top-level property');
    problem(
      t,
      await register(withPolicy({ autoApprove: true })),
      400,
      ['body.policy.autoApprove'],
      'an extra policy property',
    );
    problem(
      t,
      await register({ ...good, requesters: ['has space'] }),
      400,
      ['body.requesters.0'],
      'a principal id with a space',
    );
    problem(t, await register({ ...good, upn: 'not-a-upn' }), 400, ['body.upn'], 'a malformed upn');
    problem(
      t,
      await register({ ...good, secretName: 'bad/secret' }),
      400,
      ['body.secretName'],
      'a malformed secret name',
    );
    const { id: _id, ...noId } = good;
    problem(t, await register(noId), 400, ['body.id'], 'missing id');

    // Valid shape, but the secret is not in Key Vault: 409 and nothing registered.
    const missing = await register({ ...good, id: `bad-input-missing-${n}`, secretName: `bg-no-such-secret-${n}` });
    problem(t, missing, 409, [], 'a secret that does not exist in Key Vault');
    t.match(missing.body.detail, /secret/i, 'the problem says the secret is missing');
  });
  t.equal(
    await kit.api().h.accounts.get(kit.api().h.pool, `bad-input-missing-${n}`),
    null,
    'the account with the missing secret is not registered',
  );
  const secret = await kit.api().h.secrets.getSecret(secretName);
  t.equal(secret.properties.enabled, true, 'the secret of the refused bodies was not sealed (no Key Vault change)');

  // The same body with nothing wrong is accepted: the 400s above were the fields named.
  const ok = await register(good);
  t.equal(ok.status, 201, 'the good body registers');
  t.equal(
    await kit
      .api()
      .h.accounts.get(kit.api().h.pool, `bad-input-${n}`)
      .then((a) => a?.id),
    `bad-input-${n}`,
  );
});
