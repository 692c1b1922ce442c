import type { Account } from '../src/db/accounts-repository';
import { PEOPLE, type World } from './world';

const person = (id: string) => ({ id, isAdmin: false });

/**
 * Brings `accounts.length` requests to awaiting_review (review timers pending in each
 * workflow, the workflows cached in the worker), `concurrency` at a time; returns the seconds taken.
 */
export async function openRequests(world: World, accounts: Account[], concurrency: number): Promise<number> {
  const { lifecycle } = world;
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < accounts.length) {
        const account = accounts[next]!;
        next += 1;
        const { id } = await lifecycle.create(person(PEOPLE.requester), { accountId: account.id, scenario: 'drill', justification: 'benchmark scale', incidentRef: null });
        await lifecycle.decide(person(PEOPLE.approvers[0]!), id, 'approve', null);
        await lifecycle.decide(person(PEOPLE.approvers[1]!), id, 'approve', null);
        const closed = await lifecycle.close(person(PEOPLE.requester), id, 'bench scale');
        if (closed.status !== 'awaiting_review') throw new Error(`request ${id} is ${closed.status}, not awaiting_review`);
      }
    }),
  );
  return Math.round((performance.now() - started) / 100) / 10;
}
