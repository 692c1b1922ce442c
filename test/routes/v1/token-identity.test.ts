import t from 'tap';
import { goodClaims, sign } from '../../helpers/tokens';
import { PEOPLE } from '../../helpers/harness';

import { ROUTE, tokenAttackKit } from '../../helpers/token-attacks';

/**
 * Who a valid token is: the immutable oid (else sub), never a mutable name claim; and a valid
 * token without the needed role or membership gets 403 or 404 as the contract says.
 */

const kit = tokenAttackKit(t);
const { trustedEs, trustedRs, refused } = kit;

void t.test('identity: oid, else sub; never email, upn or preferred_username', async (t) => {
  const noId = { oid: undefined, sub: undefined };
  await refused(t, 'no oid and no sub', sign(trustedEs, goodClaims(noId)));
  await refused(
    t,
    'no oid and no sub, but email, upn and preferred_username',
    sign(
      trustedEs,
      goodClaims({ ...noId, email: 'alice@contoso.com', upn: 'alice@contoso.com', preferred_username: 'alice' }),
    ),
  );
  await refused(t, 'empty oid and no sub', sign(trustedEs, goodClaims({ oid: '', sub: undefined })));
  await refused(t, 'numeric oid and no sub', sign(trustedEs, goodClaims({ oid: 42, sub: undefined })));
  await refused(t, 'sub of 129 characters', sign(trustedEs, goodClaims({ oid: undefined, sub: 'x'.repeat(129) })));
});

void t.test('valid tokens without the needed role or membership: 403 or 404 as the contract says', async (t) => {
  const { account } = await kit.api.h.createAccount();
  const created = await kit.api.call('POST', '/v1/requests', {
    as: PEOPLE.requester,
    body: { accountId: account.id, scenario: 'drill', justification: 'token attack suite' },
  });
  t.equal(created.status, 201, 'the requester creates a request');
  const id = created.body.id as string;

  const stranger = (claims: Record<string, unknown> = {}) =>
    sign(trustedEs, goodClaims({ oid: 'stranger-x', sub: 'stranger-x', ...claims }));
  const audit = await kit.api.call('GET', '/v1/audit', { token: stranger() });
  t.equal(audit.status, 403, 'GET /v1/audit without a role: 403');
  t.match(audit.headers.get('content-type'), /^application\/problem\+json/);
  t.equal(
    (await kit.api.call('GET', '/v1/audit/verify', { token: stranger() })).status,
    403,
    'GET /v1/audit/verify without a role: 403',
  );
  const read = await kit.api.call('GET', `/v1/requests/${id}`, { token: stranger() });
  t.equal(read.status, 404, "someone else's request: 404, not 403");
  t.match(read.headers.get('content-type'), /^application\/problem\+json/);
  t.notMatch(read.text, /drill|token attack suite/, 'nothing of the request leaks');
  const list = await kit.api.call('GET', ROUTE, { token: stranger() });
  t.equal(list.status, 200);
  t.same(list.body.items, [], "a stranger's list is empty");
  t.equal(
    (await kit.api.call('GET', `/v1/accounts/${account.id}`, { token: stranger() })).status,
    404,
    "someone else's account: 404",
  );
  t.equal(
    (await kit.api.call('POST', `/v1/requests/${id}/approvals`, { token: stranger(), body: { decision: 'approve' } }))
      .status,
    404,
    'approve as a stranger: 404',
  );

  // Near-miss roles do not count; nor do roles carried in other claims.
  const nearMisses: Array<[string, Record<string, unknown>]> = [
    ['roles as a string, not an array', { roles: 'BreakGlass.Admin' }],
    ['role in lower case', { roles: ['breakglass.admin'] }],
    ['role with a trailing space', { roles: ['BreakGlass.Admin '] }],
    ['role in groups', { groups: ['BreakGlass.Admin'] }],
    ['role in scp', { scp: 'BreakGlass.Admin BreakGlass.Auditor' }],
    ['role in wids', { wids: ['BreakGlass.Auditor'] }],
  ];
  for (const [what, claims] of nearMisses) {
    t.equal(
      (await kit.api.call('GET', '/v1/audit', { token: stranger(claims) })).status,
      403,
      `${what}: 403 on /v1/audit`,
    );
  }
  // Identity from email, upn or preferred_username never counts: the requester's name there changes nothing.
  const impostor = stranger({
    email: PEOPLE.requester,
    upn: PEOPLE.requester,
    preferred_username: PEOPLE.requester,
    name: PEOPLE.requester,
  });
  t.equal(
    (await kit.api.call('GET', `/v1/requests/${id}`, { token: impostor })).status,
    404,
    'email/upn/preferred_username of the requester: still a stranger',
  );
  t.equal(
    (
      await kit.api.call('GET', `/v1/requests/${id}`, {
        token: sign(trustedEs, goodClaims({ oid: 'stranger-x', sub: PEOPLE.requester })),
      })
    ).status,
    404,
    'oid wins over sub',
  );
  const asRequester = await kit.api.call('GET', `/v1/requests/${id}`, {
    token: sign(trustedRs, goodClaims({ oid: PEOPLE.requester, sub: 'whatever' })),
  });
  t.equal(asRequester.status, 200, 'the requester by oid (RS256 token) reads the request');
  const admin = await kit.api.call('GET', '/v1/audit', {
    token: sign(trustedEs, goodClaims({ oid: 'admin-x', roles: ['BreakGlass.Admin'] })),
  });
  t.equal(admin.status, 200, 'the exact role works');
});

kit.noTokenLogged();
