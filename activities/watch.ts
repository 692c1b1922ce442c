import { log } from '@temporalio/activity';
import { createAuditRepository } from '../src/audit/audit-repository';
import { createAccountsRepository, type Account } from '../src/db/accounts-repository';
import { withTransaction, type Pool } from '../src/db/pool';
import { durationToMs } from '../src/domain/durations';
import { SYSTEM_ACTOR } from '../src/domain/lifecycle';
import { createCaseRepository } from '../src/watch/case-repository';
import { caseIdOf } from '../src/watch/case-messages';
import { evidenceOf, matchWindow, releaseWindow, type SignInEvidence } from '../src/watch/correlation';
import type { GraphApi } from '../src/watch/graph-api';
import { GraphError } from '../src/watch/graph-client';
import { createWatchRepository, type Observation } from '../src/watch/watch-repository';
import { createDriftActivities } from './watch-drift';
import { createDrillActivities } from './watch-drills';
import type { CaseEventInput, PendingSignIn, SigninPollResult, SigninWatchSettings } from './watch-types';

export const SIGNIN_WATCH = 'signin';

export interface WatchActivityDeps {
  pool: Pool;
  /** Absent when the worker runs without Graph configured: the watch then reports itself failing. */
  graph?: GraphApi;
}

const describe = (e: SignInEvidence) =>
  `${e.result === 'success' ? 'sign-in' : `failed sign-in (${e.errorCode})`} at ${e.time} from ${e.ipAddress ?? 'unknown IP'}${e.location ? ` (${e.location})` : ''} to ${e.app ?? 'unknown app'}`;

export function createWatchActivities(deps: WatchActivityDeps) {
  const { pool } = deps;
  const accounts = createAccountsRepository();
  const watch = createWatchRepository();
  const cases = createCaseRepository();
  const audit = createAuditRepository();

  /** Reads one account's sign-ins since its cursor minus the look-back and records the new ones. */
  async function pollAccount(
    graph: GraphApi,
    account: Account & { entraObjectId: string },
    settings: SigninWatchSettings,
    runStarted: Date,
  ): Promise<number> {
    const cursor = (await watch.cursor(pool, account.id)) ?? runStarted;
    const since = new Date(cursor.getTime() - durationToMs(settings.lookBack));
    const signIns = await graph.signIns(account.entraObjectId, since);
    const graceMs = durationToMs(settings.grace);
    const windows = (await watch.releasedRequests(pool, account.id))
      .map((view) => releaseWindow(view, graceMs))
      .filter((w) => w !== null);
    let fresh = 0;
    await withTransaction(pool, async (tx) => {
      for (const signIn of signIns) {
        if (signIn.userId !== account.entraObjectId) continue; // Graph filtered by user; trust but verify
        const evidence = evidenceOf(signIn);
        const requestId = matchWindow(windows, Date.parse(evidence.time));
        const inserted = await watch.insertObservation(tx, {
          signInId: evidence.signInId,
          accountId: account.id,
          requestId,
          signedInAt: evidence.time,
          succeeded: evidence.result === 'success',
          details: evidence,
        });
        if (!inserted) continue;
        fresh += 1;
        await audit.append(tx, {
          eventId: `signin:${evidence.signInId}`,
          actor: SYSTEM_ACTOR,
          action: requestId ? 'signin.observed' : 'signin.unexpected',
          requestId,
          accountId: account.id,
          details: { ...evidence },
        });
      }
      // Only a complete read moves the cursor; a failed one is read again (with look-back) next run.
      await watch.setCursor(tx, account.id, runStarted);
    });
    return fresh;
  }

  async function pendingOf(observation: Observation, byId: Map<string, Account>): Promise<PendingSignIn> {
    const account = byId.get(observation.accountId) ?? (await accounts.get(pool, observation.accountId));
    const summary = `${describe(observation.details)} by ${account?.upn ?? observation.accountId}`;
    const opensCase = observation.requestId === null && observation.succeeded && account !== null;
    return {
      signInId: observation.signInId,
      accountId: observation.accountId,
      requestId: observation.requestId,
      succeeded: observation.succeeded,
      signedInAt: observation.signedInAt,
      summary,
      case: opensCase
        ? {
            caseId: caseIdOf(observation.signInId),
            accountId: observation.accountId,
            signInId: observation.signInId,
            signedInAt: observation.signedInAt,
            summary,
            reviewers: account.reviewers,
            reviewDue: account.policy.reviewDue,
            reviewReminder: account.policy.reviewReminder,
          }
        : null,
    };
  }

  return {
    ...createDriftActivities(deps),
    ...createDrillActivities(deps),

    /** One run of the sign-in watch over every account that names its Entra object id. */
    async pollSignIns(settings: SigninWatchSettings): Promise<SigninPollResult> {
      const runStarted = new Date();
      const watched = (await accounts.list(pool)).filter((a): a is Account & { entraObjectId: string } =>
        Boolean(a.entraObjectId),
      );
      let error: string | null = deps.graph ? null : 'Microsoft Graph is not configured for this worker (GRAPH_URL)';
      let newSignIns = 0;
      if (deps.graph) {
        for (const account of watched) {
          try {
            newSignIns += await pollAccount(deps.graph, account, settings, runStarted);
          } catch (failure) {
            if (!(failure instanceof GraphError)) throw failure; // Postgres and bugs: Temporal retries the activity
            error = failure.message;
            log.warn('sign-in watch could not read Graph', { accountId: account.id, error: failure.message });
          }
        }
      }
      const transition = await watch.recordRun(pool, SIGNIN_WATCH, error, settings.degradedAfter);
      const health = await watch.health(pool, SIGNIN_WATCH);
      const byId = new Map(watched.map((a) => [a.id, a as Account]));
      const pending = await Promise.all((await watch.unhandled(pool)).map((o) => pendingOf(o, byId)));
      return {
        ok: error === null,
        error,
        accounts: watched.length,
        newSignIns,
        failures: health.consecutiveFailures,
        transition,
        pending,
      };
    },

    async markSignInsHandled(signInIds: string[]): Promise<void> {
      await watch.markHandled(pool, signInIds);
    },

    /** Case read model and audit row move together, like a request's. */
    async recordCaseEvent(input: CaseEventInput): Promise<void> {
      await withTransaction(pool, async (tx) => {
        if (input.action === 'case.opened') await cases.open(tx, input.view);
        if (input.action === 'case.overdue') await cases.reminded(tx, input.view.caseId, input.view.reminders);
        if (input.action === 'case.closed') await cases.close(tx, input.view);
        await audit.append(tx, {
          eventId: input.eventId,
          actor: input.actor,
          action: input.action,
          accountId: input.view.accountId,
          details: { caseId: input.view.caseId, signInId: input.view.signInId, ...input.details },
        });
      });
    },
  };
}
