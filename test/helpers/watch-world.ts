import { randomUUID } from 'node:crypto';
import type { SigninWatchSettings } from '../../activities/watch-types';
import { GraphStandin, STANDIN_TOKEN } from '../../devstack/graph-standin/server';
import { createGraphApi } from '../../src/watch/graph-api';
import { createGraphClient } from '../../src/watch/graph-client';
import { createWatchRepository } from '../../src/watch/watch-repository';
import { createCaseRepository } from '../../src/watch/case-repository';
import { setupHarness, type Harness } from './harness';
import { setupApi, type ApiHarness } from './api';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export const FAST_WATCH: SigninWatchSettings = { lookBack: 'PT30M', grace: 'PT5S', degradedAfter: 2 };

/** A Graph client as the worker builds it, against the stand-in, with short bounds for tests. */
export const standinGraph = (standin: GraphStandin) =>
  createGraphApi(
    createGraphClient({
      baseUrl: standin.url,
      token: () => Promise.resolve(STANDIN_TOKEN),
      timeoutMs: 3_000,
      maxRetries: 3,
      maxRetryAfterMs: 5_000,
    }),
  );

export interface WatchWorld {
  h: Harness;
  api: ApiHarness | null;
  standin: GraphStandin;
  watch: ReturnType<typeof createWatchRepository>;
  cases: ReturnType<typeof createCaseRepository>;
  /** An account registered with an Entra object id, and its user in the stand-in (passing every check). */
  watchedAccount(
    options?: Parameters<Harness['createAccount']>[0],
  ): Promise<Awaited<ReturnType<Harness['createAccount']>> & { userId: string }>;
  /** One run of the sign-in watch, as the Schedule would start it. */
  runWatch(
    settings?: Partial<SigninWatchSettings>,
    workflowId?: string,
  ): Promise<{ ok: boolean; newSignIns: number; handled: number; transition: string | null; failures: number }>;
}

/** The test stack plus a Graph stand-in and a worker that reads it; with `api`, the real API too. */
export async function setupWatch(t: Teardown, options: { api?: boolean; worker?: boolean } = {}): Promise<WatchWorld> {
  const standin = new GraphStandin();
  await standin.start();
  t.teardown(() => standin.stop());
  const graph = standinGraph(standin);
  const api = options.api ? await setupApi(t, { harnessOptions: { graph } }) : null;
  const h = api?.h ?? (await setupHarness(t, { graph, worker: options.worker }));
  let runs = 0;
  return {
    h,
    api,
    standin,
    watch: createWatchRepository(),
    cases: createCaseRepository(),
    async watchedAccount(opts) {
      const created = await h.createAccount(opts);
      const userId = randomUUID();
      standin.addUser(userId, created.account.upn);
      const account = (await h.accounts.update(h.pool, created.account.id, { entraObjectId: userId }))!;
      return { ...created, account, userId };
    },
    async runWatch(settings = {}, workflowId) {
      runs += 1;
      return h.temporal.workflow.execute('signinWatch', {
        taskQueue: h.taskQueue,
        workflowId: workflowId ?? `signin-run-${h.id}-${runs}`,
        args: [{ ...FAST_WATCH, ...settings }],
      });
    },
  };
}
