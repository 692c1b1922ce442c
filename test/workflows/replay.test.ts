import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { Worker } from '@temporalio/worker';
import { HISTORIES_ROOT, loadHistory } from '../helpers/histories';
import { testStack } from '../helpers/stack-env';

/**
 * Recorded histories of every path, replayed through the current workflow code: a change
 * that would break workflows already running in production fails here. Re-record with
 * `BREAKGLASS_RECORD_HISTORIES=1 npm run test:only -- test/workflows/lifecycle-paths.test.ts test/workflows/reseal-failure.test.ts`
 * only for an intended, versioned change.
 */
const PATHS = [
  'cancelled-by-admin',
  'closed-by-window-end',
  'completed',
  'denied',
  'expired',
  'reseal-failed-then-recovered',
  'review-overdue-then-completed',
];
// v1: the frozen first workflow type (requests started before the crash-safe version); v2: the current
// one as it ran before the alert outbox; v2-outbox: the current code (patch `alerts-in-outbox`).
const EXPECTED: Record<string, string[]> = {
  v1: PATHS,
  v2: [...PATHS, 'continued-as-new-while-resealing', 'creation-refused-account-busy'].sort(),
  'v2-outbox': [...PATHS, 'continued-as-new-while-resealing', 'creation-refused-account-busy'].sort(),
  // The watch's workflows (issue 13), recorded by test/watch/signin-watch.test.ts and signin-case.test.ts.
  watch: ['signin-case-closed-after-reminders', 'signin-watch-recovered-with-case'],
};

for (const version of Object.keys(EXPECTED)) {
  void t.test(`every recorded ${version} path replays deterministically`, async (t) => {
    const dir = join(HISTORIES_ROOT, version);
    const files = readdirSync(dir).filter((file) => file.endsWith('.binpb'));
    t.same(
      files.map((file) => file.replace(/\.binpb$/, '')).sort(),
      EXPECTED[version],
      'a history for each path is committed',
    );
    const stack = await testStack();
    const histories = files.map((file) => ({
      workflowId: `${version}/${file}`,
      history: loadHistory(readFileSync(join(dir, file))),
    }));
    const results = Worker.runReplayHistories({ workflowBundle: { codePath: stack.workflowBundlePath } }, histories);
    let replayed = 0;
    for await (const result of results) {
      replayed += 1;
      t.equal(result.error, undefined, `${result.workflowId} replays without nondeterminism`);
    }
    t.equal(replayed, files.length);
  });
}
