import { randomUUID } from 'node:crypto';
import type { Account } from '../src/db/accounts-repository';
import type { Actor } from '../src/domain/rules';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { floorCreated, floorStep } from './floor/messages';
import { summarize, type Summary } from './stats';
import { PEOPLE, type World } from './world';

/** The steps of one whole flow, in order; the floor takes the same client calls. */
export const STEPS = ['create', 'approve1', 'approve2', 'reveal', 'close', 'review'] as const;
export type Step = (typeof STEPS)[number];
export type StepTimes = Record<Step | 'whole', number[]>;

const person = (id: string): Actor => ({ id, isAdmin: false });
const REVIEW = {
  actionsAppropriate: true,
  signInLogsReviewed: true,
  credentialRotated: true,
  findings: 'bench run',
  followUpTicket: 'BENCH-1',
};
const ASK = { scenario: 'drill' as const, justification: 'benchmark flow', incidentRef: null };

type Flow = (timed: (step: Step, work: () => Promise<unknown>) => Promise<void>, slot: number) => Promise<void>;

/** Our lifecycle, through the same commands the API runs after authentication (API → command → workflow update). */
export function ourFlow(world: World, accounts: Account[]): Flow {
  const { lifecycle } = world;
  return async (timed, slot) => {
    try {
      await oneFlow(timed, slot);
    } catch (error) {
      // The failed flow's request may still hold its account open: the slot moves to a new one.
      accounts[slot] = (await world.createAccounts(1))[0]!;
      throw error;
    }
  };
  async function oneFlow(timed: Parameters<Flow>[0], slot: number) {
    let id = '';
    await timed(
      'create',
      async () =>
        (id = (await lifecycle.create(person(PEOPLE.requester), { accountId: accounts[slot]!.id, ...ASK })).id),
    );
    await timed('approve1', () => lifecycle.decide(person(PEOPLE.approvers[0]!), id, 'approve', null));
    await timed('approve2', () =>
      expectStatus(lifecycle.decide(person(PEOPLE.approvers[1]!), id, 'approve', null), 'released'),
    );
    await timed('reveal', () => lifecycle.reveal(person(PEOPLE.requester), id));
    await timed('close', () =>
      expectStatus(lifecycle.close(person(PEOPLE.requester), id, 'bench flow done'), 'awaiting_review'),
    );
    await timed('review', () => expectStatus(lifecycle.review(person(PEOPLE.reviewer), id, REVIEW), 'completed'));
  }
}

/** The floor: a bare workflow started with an Update and sent the same five Updates, each running one no-op activity. */
export function floorFlow(world: World): Flow {
  const { temporal, floorTaskQueue } = world;
  return async (timed) => {
    const workflowId = `floor-${randomUUID()}`;
    const steps = STEPS.length - 1;
    // Started as ours is: an update-with-start answered once the creation's activity ran.
    await timed('create', () =>
      temporal.workflow.executeUpdateWithStart(floorCreated, {
        startWorkflowOperation: new WithStartWorkflowOperation('floorRequest', {
          workflowId,
          taskQueue: floorTaskQueue,
          args: [steps],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      }),
    );
    const handle = temporal.workflow.getHandle(workflowId);
    for (const step of STEPS.slice(1))
      await timed(step, () => handle.executeUpdate(floorStep, { args: [step], updateId: step }));
  };
}

async function expectStatus(pending: Promise<{ status: string }>, status: string) {
  const view = await pending;
  if (view.status !== status) throw new Error(`expected ${status}, the request is ${view.status}`);
}

/**
 * Runs `count` flows, `concurrency` at once (each slot its own account), and times every step
 * and the whole. A flow that fails (a deadline on an overloaded machine) is counted, not timed;
 * more than a tenth failing ends the run, after every slot has stopped.
 */
export async function runFlows(
  flow: Flow,
  count: number,
  concurrency: number,
): Promise<StepTimes & { failed: number }> {
  const times = Object.fromEntries([...STEPS, 'whole'].map((step) => [step, [] as number[]])) as StepTimes;
  let next = 0;
  let failed = 0;
  let firstError: unknown;
  await Promise.allSettled(
    Array.from({ length: concurrency }, async (_, slot) => {
      while (next < count && failed * 10 <= count) {
        next += 1;
        const started = performance.now();
        const flowTimes: Array<[Step, number]> = [];
        try {
          await flow(async (step, work) => {
            const t0 = performance.now();
            await work();
            flowTimes.push([step, performance.now() - t0]);
          }, slot);
        } catch (error) {
          failed += 1;
          firstError ??= error;
          continue;
        }
        for (const [step, ms] of flowTimes) times[step].push(ms);
        times.whole.push(performance.now() - started);
      }
    }),
  );
  if (failed * 10 > count)
    throw new Error(
      `${failed} of ${count} flows failed; the first: ${(firstError as Error)?.message ?? String(firstError)}`,
    );
  return { ...times, failed };
}

/**
 * Ours and the floor in alternating rounds (each round `concurrency` × a few flows), so a change in
 * the machine's load during the run (other processes, a GC, the server compacting) falls on both
 * alike instead of on whichever ran second.
 */
export async function runPaired(
  ours: Flow,
  floor: Flow,
  count: number,
  concurrency: number,
): Promise<{ ours: StepTimes & { failed: number }; floor: StepTimes & { failed: number } }> {
  const round = Math.max(concurrency * 2, 10);
  const empty = () => ({
    ...(Object.fromEntries([...STEPS, 'whole'].map((step) => [step, [] as number[]])) as StepTimes),
    failed: 0,
  });
  const merged = { ours: empty(), floor: empty() };
  for (let done = 0; done < count; done += round) {
    const size = Math.min(round, count - done);
    for (const [side, flow] of [
      ['ours', ours],
      ['floor', floor],
    ] as const) {
      const times = await runFlows(flow, size, Math.min(concurrency, size));
      for (const key of [...STEPS, 'whole'] as const) merged[side][key].push(...times[key]);
      merged[side].failed += times.failed;
    }
  }
  return merged;
}

export type StepSummaries = Record<Step | 'whole', Summary>;
export const summarizeSteps = (times: StepTimes) =>
  Object.fromEntries(
    Object.entries(times)
      .filter(([step]) => step !== 'failed')
      .map(([step, samples]) => [step, summarize(samples)]),
  ) as StepSummaries;
