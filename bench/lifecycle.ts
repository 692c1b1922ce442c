import { randomUUID } from 'node:crypto';
import type { Account } from '../src/db/accounts-repository';
import type { Actor } from '../src/domain/rules';
import { floorStep } from './floor/messages';
import { summarize, type Summary } from './stats';
import { PEOPLE, type World } from './world';

/** The steps of one whole flow, in order; the floor takes the same client calls. */
export const STEPS = ['create', 'approve1', 'approve2', 'reveal', 'close', 'review'] as const;
export type Step = (typeof STEPS)[number];
export type StepTimes = Record<Step | 'whole', number[]>;

const person = (id: string): Actor => ({ id, isAdmin: false });
const REVIEW = { actionsAppropriate: true, signInLogsReviewed: true, credentialRotated: true, findings: 'bench run', followUpTicket: 'BENCH-1' };
const ASK = { scenario: 'drill' as const, justification: 'benchmark flow', incidentRef: null };

type Flow = (timed: (step: Step, work: () => Promise<unknown>) => Promise<void>, slot: number) => Promise<void>;

/** Our lifecycle, through the same commands the API runs after authentication (API → command → workflow update). */
export function ourFlow(world: World, accounts: Account[]): Flow {
  const { lifecycle } = world;
  return async (timed, slot) => {
    let id = '';
    await timed('create', async () => (id = (await lifecycle.create(person(PEOPLE.requester), { accountId: accounts[slot]!.id, ...ASK })).id));
    await timed('approve1', () => lifecycle.decide(person(PEOPLE.approvers[0]!), id, 'approve', null));
    await timed('approve2', () => expectStatus(lifecycle.decide(person(PEOPLE.approvers[1]!), id, 'approve', null), 'released'));
    await timed('reveal', () => lifecycle.reveal(person(PEOPLE.requester), id));
    await timed('close', () => expectStatus(lifecycle.close(person(PEOPLE.requester), id, 'bench flow done'), 'awaiting_review'));
    await timed('review', () => expectStatus(lifecycle.review(person(PEOPLE.reviewer), id, REVIEW), 'completed'));
  };
}

/** The floor: a bare workflow started and sent the same five Updates, each running one no-op activity. */
export function floorFlow(world: World): Flow {
  const { temporal, floorTaskQueue } = world;
  return async (timed) => {
    const workflowId = `floor-${randomUUID()}`;
    const steps = STEPS.length - 1;
    await timed('create', () => temporal.workflow.start('floorRequest', { workflowId, taskQueue: floorTaskQueue, args: [steps] }));
    const handle = temporal.workflow.getHandle(workflowId);
    for (const step of STEPS.slice(1)) await timed(step, () => handle.executeUpdate(floorStep, { args: [step], updateId: step }));
  };
}

async function expectStatus(pending: Promise<{ status: string }>, status: string) {
  const view = await pending;
  if (view.status !== status) throw new Error(`expected ${status}, the request is ${view.status}`);
}

/** Runs `count` flows, `concurrency` at once (each slot its own account), and times every step and the whole. */
export async function runFlows(flow: Flow, count: number, concurrency: number): Promise<StepTimes> {
  const times = Object.fromEntries([...STEPS, 'whole'].map((step) => [step, [] as number[]])) as StepTimes;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, slot) => {
      while (next < count) {
        next += 1;
        const started = performance.now();
        await flow(async (step, work) => {
          const t0 = performance.now();
          await work();
          times[step].push(performance.now() - t0);
        }, slot);
        times.whole.push(performance.now() - started);
      }
    }),
  );
  return times;
}

export type StepSummaries = Record<Step | 'whole', Summary>;
export const summarizeSteps = (times: StepTimes) => Object.fromEntries(Object.entries(times).map(([step, samples]) => [step, summarize(samples)])) as StepSummaries;
