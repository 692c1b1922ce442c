import type { Account } from '../src/db/accounts-repository';
import { summarize, ratio, type Summary } from './stats';
import { PEOPLE, type World } from './world';

export interface RevealFigures {
  reveal: Summary;
  bareGetSecret: Summary;
  ratioToBare: number;
}

/** Reveal (workflow authorisation, audit, then Key Vault) against a bare getSecret of the same secret from this same process. */
export async function benchReveal(world: World, account: Account, count: number): Promise<RevealFigures> {
  const alice = { id: PEOPLE.requester, isAdmin: false };
  const created = await world.lifecycle.create(alice, {
    accountId: account.id,
    scenario: 'drill',
    justification: 'benchmark reveal',
    incidentRef: null,
  });
  await world.lifecycle.decide({ id: PEOPLE.approvers[0]!, isAdmin: false }, created.id, 'approve', null);
  await world.lifecycle.decide({ id: PEOPLE.approvers[1]!, isAdmin: false }, created.id, 'approve', null);
  const reveals: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < count; i += 1) {
    let t0 = performance.now();
    await world.lifecycle.reveal(alice, created.id);
    reveals.push(performance.now() - t0);
    t0 = performance.now();
    await world.secrets.getSecret(account.secretName);
    bare.push(performance.now() - t0);
  }
  await world.lifecycle.close(alice, created.id, 'bench reveal done');
  const reveal = summarize(reveals);
  const bareGetSecret = summarize(bare);
  return { reveal, bareGetSecret, ratioToBare: ratio(reveal.p50, bareGetSecret.p50) };
}
