import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { Worker } from '@temporalio/worker';
import { HISTORIES_DIR, loadHistory } from '../helpers/histories';
import { testStack } from '../helpers/stack-env';

/**
 * Recorded histories of every path, replayed through the current workflow code: a change
 * that would break workflows already running in production fails here. Re-record with
 * `BREAKGLASS_RECORD_HISTORIES=1 npm run test:only -- test/workflows/lifecycle-paths.test.ts test/workflows/reseal-failure.test.ts`
 * only for an intended, versioned change.
 */
const EXPECTED = [
  'cancelled-by-admin', 'closed-by-window-end', 'completed', 'denied', 'expired', 'reseal-failed-then-recovered', 'review-overdue-then-completed',
  // The watch (issue 13)
  'signin-case-closed-after-reminders', 'signin-watch-recovered-with-case',
].sort();

void t.test('every recorded path replays deterministically', async (t) => {
  const files = readdirSync(HISTORIES_DIR).filter((file) => file.endsWith('.binpb'));
  t.same(files.map((file) => file.replace(/\.binpb$/, '')).sort(), EXPECTED, 'a history for each path is committed');
  const stack = await testStack();
  const histories = files.map((file) => ({ workflowId: file, history: loadHistory(readFileSync(join(HISTORIES_DIR, file))) }));
  const results = Worker.runReplayHistories({ workflowBundle: { codePath: stack.workflowBundlePath } }, histories);
  let replayed = 0;
  for await (const result of results) {
    replayed += 1;
    t.equal(result.error, undefined, `${result.workflowId} replays without nondeterminism`);
  }
  t.equal(replayed, files.length);
});
