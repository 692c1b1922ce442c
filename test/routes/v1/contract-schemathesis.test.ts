import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { setupApi, type ApiHarness } from '../../helpers/api';
import { PEOPLE } from '../../helpers/harness';
import { ensureSchemathesis, runCommand } from '../../helpers/schemathesis';

/**
 * An independent client (Schemathesis, from PyPI) reads /openapi.json and drives the real API
 * with an admin token: generated valid and invalid inputs for every operation, every check it
 * has. It must find no server error and no answer the document does not allow (status, media
 * type, body schema, headers, accepted invalid input, refused valid input, ignored auth).
 * Bounded: a fixed seed and a few examples per operation keep it to about a minute on 2 cores.
 */

let api: ApiHarness;
let st: string;
t.before(async () => {
  [api, st] = await Promise.all([setupApi(t), ensureSchemathesis((line) => t.comment(line))]);
});

void t.test('Schemathesis finds nothing in the API that contradicts its OpenAPI document', async (t) => {
  const reportDir = mkdtempSync(join(tmpdir(), 'bg-schemathesis-'));
  t.teardown(() => rmSync(reportDir, { recursive: true, force: true }));
  const token = await api.token(PEOPLE.admin, ['BreakGlass.Admin']);
  const seed = process.env.SCHEMATHESIS_SEED ?? '20261127';
  const result = await runCommand(
    st,
    [
      'run',
      `${api.baseUrl}/openapi.json`,
      '--header',
      `Authorization: Bearer ${token}`,
      '--checks',
      'all',
      '--max-examples',
      process.env.SCHEMATHESIS_MAX_EXAMPLES ?? '10',
      '--seed',
      seed,
      '--workers',
      '1',
      '--request-timeout',
      '20',
      '--max-time',
      '90',
      '--report',
      'junit',
      '--report-dir',
      reportDir,
    ],
    { cwd: reportDir, timeoutMs: 150_000 },
  );
  t.comment(`schemathesis (seed ${seed}) took ${(result.ms / 1000).toFixed(1)} s`);
  const junit = readFileSync(join(reportDir, 'junit.xml'), 'utf8');
  const testcases = junit.match(/<testcase /g)?.length ?? 0;
  t.ok(testcases >= 14, `every documented operation was exercised (${testcases} test cases)`);
  t.equal(result.code, 0, 'no failures', { output: result.output.slice(-20_000) });
  // Only errors the document declares: a 500 is never among them.
  const statuses = api.logs.join('').match(/"statusCode":5\d\d/g) ?? [];
  t.same(
    statuses.filter((s) => s !== '"statusCode":503'),
    [],
    'the API answered no server error',
  );
});
