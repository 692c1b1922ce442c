import t from 'tap';
import { setupApi } from '../../helpers/api';
import { PEOPLE } from '../../helpers/harness';

void t.test('a lifecycle call while Temporal is down answers 503 naming it, quickly', async (t) => {
  const api = await setupApi(t, { env: { TEMPORAL_ADDRESS: '127.0.0.1:1' } });
  const { account } = await api.h.createAccount();
  const started = Date.now();
  const res = await api.call('POST', '/v1/requests', {
    as: PEOPLE.requester,
    body: { accountId: account.id, scenario: 'drill', justification: 'temporal is down' },
  });
  t.equal(res.status, 503);
  t.equal(res.body.dependency, 'temporal');
  t.match(res.body.detail, /temporal/);
  t.ok(Date.now() - started < 20_000, `answered in ${Date.now() - started} ms`);
  const rows = await api.h.requests.list(api.h.pool, { visibleTo: null, limit: 10 });
  t.equal(rows.length, 0, 'the failed create left no request behind');
  const again = await api.call('POST', '/v1/requests', {
    as: PEOPLE.requester,
    body: { accountId: account.id, scenario: 'drill', justification: 'still down' },
  });
  t.equal(again.status, 503, 'and the account is not left locked by a phantom request');
});
