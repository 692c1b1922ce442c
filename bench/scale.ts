import type { Account } from '../src/db/accounts-repository';
import { PEOPLE, type World } from './world';

const person = (id: string) => ({ id, isAdmin: false });

/**
 * Brings `accounts.length` requests to awaiting_review (review timers pending in each
 * workflow, the workflows cached in the worker), `concurrency` at a time; returns the seconds taken.
 */
export async function openRequests(
  world: World,
  accounts: Account[],
  concurrency: number,
): Promise<{ seconds: number; failed: number }> {
  const { lifecycle } = world;
  const started = performance.now();
  let next = 0;
  let failed = 0;
  await Promise.allSettled(
    Array.from({ length: concurrency }, async () => {
      while (next < accounts.length && failed * 10 <= accounts.length) {
        const account = accounts[next]!;
        next += 1;
        try {
          const { id } = await lifecycle.create(person(PEOPLE.requester), {
            accountId: account.id,
            scenario: 'drill',
            justification: 'benchmark scale',
            incidentRef: null,
          });
          await lifecycle.decide(person(PEOPLE.approvers[0]!), id, 'approve', null);
          await lifecycle.decide(person(PEOPLE.approvers[1]!), id, 'approve', null);
          const closed = await lifecycle.close(person(PEOPLE.requester), id, 'bench scale');
          if (closed.status !== 'awaiting_review')
            throw new Error(`request ${id} is ${closed.status}, not awaiting_review`);
        } catch {
          failed += 1; // a deadline on an overloaded machine; counted, and the request may still get there
        }
      }
    }),
  );
  if (failed * 10 > accounts.length) throw new Error(`${failed} of ${accounts.length} requests could not be opened`);
  return { seconds: Math.round((performance.now() - started) / 100) / 10, failed };
}
