import t from 'tap';
import { deleteWatchSchedules, ensureWatchSchedules, signinScheduleId } from '../../src/watch/schedules';
import { eventually } from '../helpers/wait';
import { FAST_WATCH, setupWatch, type WatchWorld } from '../helpers/watch-world';

const EVERY = 'PT2S';
let w: WatchWorld;
let worker: { stop(): Promise<void> };
t.before(async () => {
  w = await setupWatch(t, { worker: false });
  worker = await w.h.startWorker();
  await ensureWatchSchedules(w.h.temporal, { taskQueue: w.h.taskQueue, signinEvery: EVERY, signin: FAST_WATCH });
  t.teardown(() => deleteWatchSchedules(w.h.temporal, w.h.taskQueue));
});

const unexpectedAlert = (signInId: unknown) =>
  w.h.sink.of(`case-${String(signInId)}`).find((a) => a.type === 'signin.unexpected');

void t.test('the Schedule runs the watch: time from a sign-in appearing in Graph to its alert', async (t) => {
  const { userId } = await w.watchedAccount();
  const latencies: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    const appeared = Date.now();
    const signIn = w.standin.injectSignIn({ userId });
    await eventually('alert', () => unexpectedAlert(signIn.id), 20_000, 50);
    latencies.push(Date.now() - appeared);
  }
  t.comment(`sign-in → signin.unexpected alert with a ${EVERY} schedule: ${latencies.join(' ms, ')} ms`);
  process.stderr.write(`MEASURED sign-in to alert (${EVERY} schedule): ${latencies.join(', ')} ms\n`);
  t.ok(
    latencies.every((ms) => ms < 2_000 + 8_000),
    'each alert within one interval plus a run',
  );
  t.ok(await w.h.temporal.schedule.getHandle(signinScheduleId(w.h.taskQueue)).describe(), 'the Schedule exists');
});

void t.test('the Schedule survives a worker restart and never runs twice for one tick', async (t) => {
  const { userId } = await w.watchedAccount();
  await worker.stop();
  const signIn = w.standin.injectSignIn({ userId });
  await new Promise((resolve) => setTimeout(resolve, 5_000)); // ticks come and go with no worker
  worker = await w.h.startWorker();
  await eventually('alert after the restart', () => unexpectedAlert(signIn.id), 30_000);
  await new Promise((resolve) => setTimeout(resolve, 4_000));

  const description = await w.h.temporal.schedule.getHandle(signinScheduleId(w.h.taskQueue)).describe();
  const actions = description.info.recentActions;
  t.ok(actions.length >= 3, `the Schedule kept firing (${actions.length} recent actions)`);
  const ticks = actions.map((a) => a.scheduledAt.toISOString());
  t.equal(new Set(ticks).size, ticks.length, 'one action per tick');
  const ids = actions.map((a) => a.action.workflow.workflowId);
  t.equal(new Set(ids).size, ids.length, 'one workflow per action');
  const runs: string[] = [];
  for await (const execution of w.h.temporal.workflow.list({
    query: `WorkflowType = 'signinWatch' AND TaskQueue = '${w.h.taskQueue}'`,
  }))
    runs.push(execution.workflowId);
  t.equal(new Set(runs).size, runs.length, 'no workflow id ran twice');
  t.equal(description.policies.overlap, 'SKIP');
  t.equal(
    w.h.sink.of(`case-${String(signIn.id)}`).filter((a) => a.type === 'signin.unexpected').length,
    1,
    'the sign-in was alerted once',
  );
  await ensureWatchSchedules(w.h.temporal, { taskQueue: w.h.taskQueue, signinEvery: EVERY, signin: FAST_WATCH });
  t.pass('ensuring the Schedules again (a second worker start) updates instead of failing');
});
