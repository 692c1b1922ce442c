import t from 'tap';
import pg from 'pg';
import { withTransaction } from '../../src/db/pool';
import { spawnApi } from '../helpers/api-process';
import { TcpProxy } from '../helpers/foundation-proxy';
import { PEOPLE, setupHarness, type Harness } from '../helpers/harness';
import { checkInvariants } from '../helpers/invariants';
import { eventually } from '../helpers/wait';
import { spawnWorker, waitForOutput } from '../helpers/worker-process';

/**
 * PostgreSQL dying while a transaction holds a connection must not end the API or the worker:
 * they answer 503 meanwhile and carry on when it is back.
 */

let h: Harness;
t.before(async () => {
  h = await setupHarness(t, { worker: false });
});

void t.test(
  'a connection ended mid-transaction fails that transaction only; the process and the pool carry on',
  async (t) => {
    const admin = new pg.Client({ connectionString: h.stack.env.DATABASE_URL });
    await admin.connect();
    t.teardown(() => admin.end());
    // Without a listener on the checked-out connection, its 'error' event would end this test process.
    const failed = withTransaction(h.pool, async (tx) => {
      const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await tx.query('SELECT 1');
    });
    await t.rejects(failed, 'the transaction in hand fails');
    const { rows } = await h.pool.query<{ one: number }>('SELECT 1 AS one');
    t.equal(rows[0]!.one, 1, 'the pool hands out a working connection afterwards');
  },
);

void t.test(
  'API and worker through a PostgreSQL outage mid-flow: 503 meanwhile, both survive, the flow completes',
  async (t) => {
    const proxy = TcpProxy.forUrl(h.stack.env.DATABASE_URL);
    await proxy.up();
    t.teardown(() => proxy.down());
    const databaseUrl = proxy.url(h.stack.env.DATABASE_URL);
    const api = await spawnApi(t, h, { DATABASE_URL: databaseUrl });
    const output: string[] = [];
    const worker = spawnWorker(h, output, { DATABASE_URL: databaseUrl });
    t.teardown(() => void worker.kill('SIGKILL'));
    await waitForOutput(output, /worker ready/);
    const { account } = await h.createAccount({ policy: { approvalTimeout: 'PT5M', releaseWindow: 'PT5M' } });

    const created = await api.call('POST', '/v1/requests', {
      as: PEOPLE.requester,
      body: { accountId: account.id, scenario: 'mfa_outage', justification: 'MFA provider down' },
    });
    t.equal(created.status, 201);
    await api.call('POST', `/v1/requests/${created.body.id}/approvals`, {
      as: PEOPLE.approver1,
      body: { decision: 'approve' },
    });

    // The second approval is in flight (workflow recording, API reading) when the database goes away.
    const approving = api.call('POST', `/v1/requests/${created.body.id}/approvals`, {
      as: PEOPLE.approver2,
      body: { decision: 'approve' },
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    await proxy.down();
    const during = await api.call('GET', `/v1/requests/${created.body.id}`, { as: PEOPLE.requester });
    t.equal(during.status, 503, 'a read while the database is down answers 503');
    t.equal(during.body.dependency, 'postgres', 'naming PostgreSQL');
    const approval = await approving;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await proxy.up();
    // The approval either took effect before the outage, or was answered 503 and is sent again, as a person would.
    if (approval.status !== 200) {
      t.equal(approval.status, 503, 'the approval caught by the outage is answered 503');
      const again = await eventually(
        'the approval to be accepted again',
        async () => {
          const answer = await api.call('POST', `/v1/requests/${created.body.id}/approvals`, {
            as: PEOPLE.approver2,
            body: { decision: 'approve' },
          });
          return answer.status !== 503 && answer;
        },
        30_000,
      );
      t.ok([200, 409].includes(again.status), `sent again: ${again.status}`);
    }

    t.equal(api.child().exitCode, null, 'the API is still running');
    t.equal(worker.exitCode, null, 'the worker is still running');
    t.notMatch(
      api.output.join('') + output.join(''),
      /Unhandled 'error' event/,
      'no unhandled error event in either process',
    );

    const released = await eventually(
      'the flow to reach released',
      async () => {
        const view = await api.call('GET', `/v1/requests/${created.body.id}`, { as: PEOPLE.requester });
        return view.status === 200 && view.body.status === 'released' && view.body;
      },
      60_000,
    );
    t.equal(released.approvals.length, 2, 'the in-flight approval was applied once');
    t.equal(
      (
        await api.call('POST', `/v1/requests/${created.body.id}/close`, {
          as: PEOPLE.requester,
          body: { summary: 'MFA back' },
        })
      ).status,
      200,
    );
    const reviewed = await api.call('POST', `/v1/requests/${created.body.id}/review`, {
      as: PEOPLE.reviewer,
      body: {
        actionsAppropriate: true,
        signInLogsReviewed: true,
        credentialRotated: true,
        findings: 'ok',
        followUpTicket: 'T-1',
      },
    });
    t.equal(reviewed.body.status, 'completed');
    await checkInvariants(t, h, created.body.id);
  },
);
