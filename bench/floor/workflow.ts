import { allHandlersFinished, condition, proxyActivities, setHandler } from '@temporalio/workflow';
import { floorCreated, floorStep } from './messages';

/**
 * The floor for the lifecycle: the least a workflow can do for the same client calls. It is
 * started with an Update (as our creation is) that answers once the start's one no-op activity
 * (our creation record) ran; each later Update waits for that, runs one no-op activity and answers. Registered only by the bench's own worker, on its own task queue.
 */
const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '30 seconds' });

export async function floorRequest(steps: number): Promise<number> {
  let started = false;
  let done = 0;
  setHandler(floorCreated, async () => {
    await condition(() => started);
    return true;
  });
  setHandler(floorStep, async () => {
    await condition(() => started);
    await noop();
    done += 1;
    return done;
  });
  await noop();
  started = true;
  await condition(() => done >= steps && allHandlersFinished());
  return done;
}
