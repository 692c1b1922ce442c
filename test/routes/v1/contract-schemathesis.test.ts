import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { GraphStandin } from '../../../devstack/graph-standin/server';
import { setupApi, type ApiHarness } from '../../helpers/api';
import { standinGraph } from '../../helpers/watch-world';
import { PEOPLE } from '../../helpers/harness';
import { ensureSchemathesis, runCommand } from '../../helpers/schemathesis';

/**
 * An independent client (Schemathesis, from PyPI) reads /openapi.json and drives the real API
 * with an admin token: generated valid and invalid inputs for every operation, with every
 * check it has. It must find no server error and no answer the document does not allow
 * (status, media type, body schema, headers, accepted invalid input, refused valid input,
 * ignored auth, undeclared methods). A fixed seed and a time budget bound it to about a minute.
 *
 * So that it reaches past "not found", the admin is also the requester of two accounts, one
 * with a pending request and one with a released one; their ids are offered to Schemathesis
 * as dictionary values for the id parameters, half the time (the other half is generated).
 */

const ROLES = ['BreakGlass.Admin'];
const MAX_TIME_SECONDS = Number(process.env.SCHEMATHESIS_MAX_TIME ?? 60);

let api: ApiHarness;
let st: string;
t.before(async () => {
  // The drift checks read Microsoft Graph: the API's worker reads the Graph stand-in, as in dev mode.
  const standin = new GraphStandin();
  await standin.start();
  t.teardown(() => standin.stop());
  [api, st] = await Promise.all([
    setupApi(t, { harnessOptions: { graph: standinGraph(standin) } }),
    ensureSchemathesis((line) => t.comment(line)),
  ]);
});

/** Two accounts the admin may request on: one request waits for approval, the other is released. */
async function seedTestData(t: Test) {
  const members = {
    requesters: [PEOPLE.admin],
    approvers: [PEOPLE.approver1, PEOPLE.approver2, PEOPLE.approver3],
    reviewers: [PEOPLE.reviewer],
  };
  const policy = { approvalTimeout: 'PT10M', releaseWindow: 'PT10M' };
  const accounts = await Promise.all([
    api.h.createAccount({ members, policy }),
    api.h.createAccount({ members, policy }),
  ]);
  const ask = (accountId: string) =>
    api.call('POST', '/v1/requests', {
      as: PEOPLE.admin,
      roles: ROLES,
      body: { accountId, scenario: 'drill', justification: 'contract test' },
    });
  const pending = await ask(accounts[0].account.id);
  const released = await ask(accounts[1].account.id);
  t.equal(pending.status, 201, 'a pending request to offer');
  t.equal(released.status, 201, 'a request to release');
  for (const approver of [PEOPLE.approver1, PEOPLE.approver2]) {
    await api.call('POST', `/v1/requests/${released.body.id}/approvals`, {
      as: approver,
      body: { decision: 'approve' },
    });
  }
  const read = await api.call('GET', `/v1/requests/${released.body.id}`, { as: PEOPLE.admin, roles: ROLES });
  t.equal(read.body.status, 'released', 'a released request to offer');
  return {
    accountIds: accounts.map((a) => a.account.id),
    requestIds: [pending.body.id as string, released.body.id as string],
  };
}

/** The checked-in exceptions (each with its reason) plus this run's ids as dictionaries. */
function writeConfig(dir: string, data: { accountIds: string[]; requestIds: string[] }): string {
  const list = (values: string[]) => `[${values.map((value) => JSON.stringify(value)).join(', ')}]`;
  const half = (dictionary: string) => `{ dictionary = "${dictionary}", probability = 0.5 }`;
  const generated = `
[dictionaries]
account-ids = { values = ${list(data.accountIds)} }
request-ids = { values = ${list(data.requestIds)} }

[[operations]]
include-path-regex = "^/v1/accounts/"
parameters = { "path.id" = ${half('account-ids')} }

[[operations]]
include-path-regex = "^/v1/requests/"
parameters = { "path.id" = ${half('request-ids')} }

[[operations]]
include-name = "POST /v1/requests"
parameters = { "body.accountId" = ${half('account-ids')} }

[[operations]]
include-name = "GET /v1/requests"
parameters = { "query.accountId" = ${half('account-ids')} }

[[operations]]
include-name = "GET /v1/audit"
parameters = { "query.requestId" = ${half('request-ids')}, "query.accountId" = ${half('account-ids')} }
`;
  const path = join(dir, 'schemathesis.toml');
  writeFileSync(path, `${readFileSync(join(__dirname, 'contract-schemathesis.toml'), 'utf8')}\n${generated}`);
  return path;
}

void t.test('Schemathesis finds nothing in the API that contradicts its OpenAPI document', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bg-schemathesis-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = writeConfig(dir, await seedTestData(t));
  const document = await api.call('GET', '/openapi.json');
  const operations = Object.values(document.body.paths as Record<string, object>).reduce(
    (n: number, methods) => n + Object.keys(methods).length,
    0,
  );
  const token = await api.token(PEOPLE.admin, ROLES);
  const seed = process.env.SCHEMATHESIS_SEED ?? '20261127';
  // prettier-ignore
  const args = [
    '--config-file', config, 'run', `${api.baseUrl}/openapi.json`,
    '--header', `Authorization: Bearer ${token}`,
    '--checks', 'all',
    '--seed', seed,
    '--max-examples', '10',
    '--max-time', String(MAX_TIME_SECONDS),
    '--workers', '1',
    '--request-timeout', '20',
    '--report', 'junit', '--report-junit-path', join(dir, 'junit.xml'),
  ];
  const result = await runCommand(st, args, { cwd: dir, timeoutMs: (MAX_TIME_SECONDS + 60) * 1000 });
  t.comment(`schemathesis (seed ${seed}) took ${(result.ms / 1000).toFixed(1)} s`);
  const output = result.output.slice(-20_000);
  // Its summary (phases, warnings, counts) stays in the TAP log for whoever reads the run.
  t.comment(result.output.slice(result.output.lastIndexOf('SUMMARY')));
  t.match(
    result.output,
    new RegExp(`Tested: ${operations}\\b`),
    `all ${operations} documented operations were tested`,
    { output },
  );
  t.equal(result.code, 0, 'Schemathesis reports no failure', { output });
  const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
  t.notMatch(junit, /<failure|<error/, 'the JUnit report has no failure');
  // The documented 503s are dependency outages; a 500 is never documented.
  const serverErrors = api.logs.join('').match(/"statusCode":5\d\d/g) ?? [];
  t.same(
    serverErrors.filter((s) => s !== '"statusCode":503'),
    [],
    'the API answered no server error',
  );
});
