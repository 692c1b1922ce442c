import { createHash, randomUUID } from 'node:crypto';
import type { SecretClient } from '@azure/keyvault-secrets';
import {
  ApplicationFailure,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import type { AuditRepository } from '../audit/audit-repository';
import type { AccountsRepository, Account } from '../db/accounts-repository';
import type { Pool } from '../db/pool';
import { withTransaction } from '../db/pool';
import type { RequestsRepository } from '../db/requests-repository';
import { createUnansweredUpdatesRepository, type UnansweredKey } from '../db/unanswered-updates-repository';
import { REFUSAL, type Scenario } from '../domain/lifecycle';
import type { RequestView, WorkflowLimits } from '../domain/request';
import { mayRead, type Actor, type Refusal } from '../domain/rules';
import type { breakglassLifecycle } from '../../workflows/lifecycle';
import { DependencyError, NotFoundError, RefusedError } from '../errors';
import type { RequestReadCache } from '../db/request-read-cache';

/**
 * How every lifecycle command acts on a request: who may see it, the rules against the account as
 * it is now, the workflow update with a deadline, and each refusal audited with actor and reason.
 */

// A person in an incident learns within seconds that the service cannot act. Longer than the
// workflow's own wait for the resulting state (4 s), so a working service always answers.
export const UPDATE_DEADLINE_MS = 6_500;

export interface LifecycleDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  secrets: SecretClient;
  accounts: AccountsRepository;
  requests: RequestsRepository;
  audit: AuditRepository;
  /** Recent reads of GET /v1/requests/:id; without it every read is a query. */
  readCache?: RequestReadCache;
  /** Tests shorten workflow bounds (history length before continue-as-new). */
  workflowLimits?: WorkflowLimits;
}

export interface CreateRequestInput {
  accountId: string;
  scenario: Scenario;
  justification: string;
  incidentRef: string | null;
}

/** Who is calling: the rules need the principal and roles. */
export type Caller = Actor & { isAuditor?: boolean };

export interface Revealed {
  value: string;
  version: string;
  releaseExpiresAt: string;
}

export const sha256 = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

export function createActing(deps: LifecycleDeps) {
  const { pool, temporal, requests, audit, readCache } = deps;
  const unanswered = createUnansweredUpdatesRepository();

  async function auditRefusal(
    actor: Actor,
    action: string,
    refusal: Refusal,
    target: { requestId?: string; accountId?: string; status?: string },
  ) {
    await withTransaction(pool, (tx) =>
      audit.append(tx, {
        actor: actor.id,
        action: `${action}.refused`,
        requestId: target.requestId ?? null,
        accountId: target.accountId ?? null,
        details: { reason: refusal.reason, refusal: refusal.type, ...(target.status ? { status: target.status } : {}) },
      }),
    );
  }

  async function refuse(
    actor: Actor,
    action: string,
    refusal: Refusal,
    target: { requestId?: string; accountId?: string; status?: string },
  ): Promise<never> {
    await auditRefusal(actor, action, refusal, target);
    throw new RefusedError(refusal.type, refusal.reason, target.status);
  }

  /**
   * The request and its account, for a caller who may see it. Someone who may not gets the same
   * 404 as for a request that does not exist (so ids cannot be probed), and that is audited.
   */
  async function loadVisible(
    caller: Caller,
    requestId: string,
    action: string,
  ): Promise<{ view: RequestView; account: Account }> {
    // One query: the account comes with the request (a foreign key guarantees it exists).
    const loaded = await requests.getWithAccount(pool, requestId);
    if (!loaded) throw new NotFoundError(`request ${requestId}`);
    if (!mayRead(loaded.view, loaded.account, caller)) await refuseRead(caller, requestId, action, loaded.view);
    return loaded;
  }

  /** loadVisible for a read alone (GET /v1/requests/:id): the same rule and refusal, without the account's other columns. */
  async function readVisible(caller: Caller, requestId: string, action: string): Promise<RequestView> {
    const loaded = readCache ? await readCache.read(requestId) : await requests.getForRead(pool, requestId);
    if (!loaded) throw new NotFoundError(`request ${requestId}`);
    if (!mayRead(loaded.view, loaded.membership, caller)) await refuseRead(caller, requestId, action, loaded.view);
    return loaded.view;
  }

  async function refuseRead(caller: Caller, requestId: string, action: string, view: RequestView): Promise<never> {
    await auditRefusal(
      caller,
      action,
      { type: REFUSAL.forbidden, reason: 'the request is not visible to this caller (answered 404)' },
      { requestId, accountId: view.accountId },
    );
    throw new NotFoundError(`request ${requestId}`);
  }

  const handle = (requestId: string) => temporal.workflow.getHandle<typeof breakglassLifecycle>(requestId);
  // A person waiting on a lifecycle call gets an answer (or a 503 naming Temporal) in bounded time.
  const within = <T>(ms: number, work: () => Promise<T>) => temporal.withDeadline(Date.now() + ms, work);

  /**
   * Runs one action as a workflow update, after the caller may see the request and the rules
   * (against the account as it is now) allow it. A validator's refusal or a finished workflow
   * becomes an audited RefusedError. An update not seen to finish in time may still take effect:
   * the caller gets a 503 saying so, and the update id is kept, so the same person sending the
   * same action again gets that update's outcome (its own earlier attempt is not a repeat). Any
   * other repeat is a new update, refused and audited like every refused attempt.
   */
  async function act<T>(
    caller: Caller,
    requestId: string,
    action: string,
    args: object,
    rules: (view: RequestView, account: Account) => Refusal | null,
    run: (updateId: string) => Promise<T>,
  ): Promise<{ result: T; view: RequestView }> {
    const { view, account } = await loadVisible(caller, requestId, action);
    const key: UnansweredKey = { requestId, actor: caller.id, action, argsHash: sha256(args) };
    const earlier = await unanswered.find(pool, key);
    if (!earlier) {
      const refusal = rules(view, account);
      if (refusal)
        return refuse(caller, action, refusal, { requestId, accountId: view.accountId, status: view.status });
    }
    const updateId = earlier ?? randomUUID();
    const target = { requestId, accountId: view.accountId };
    try {
      const result = await within(UPDATE_DEADLINE_MS, () => run(updateId)).finally(() =>
        // Read your own writes here, whatever the timing of the change's notification.
        readCache?.forget(requestId),
      );
      if (earlier) await unanswered.forget(pool, key);
      return { result, view };
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
        if (earlier) await unanswered.forget(pool, key);
        const type = error.cause.type === REFUSAL.forbidden ? REFUSAL.forbidden : REFUSAL.conflict;
        const latest = await requests.get(pool, requestId);
        return refuse(caller, action, { type, reason: error.cause.message }, { ...target, status: latest?.status });
      }
      if (error instanceof WorkflowNotFoundError) {
        const latest = (await requests.get(pool, requestId)) ?? view;
        return refuse(
          caller,
          action,
          { type: REFUSAL.conflict, reason: `the request is ${latest.status}; its workflow has finished` },
          { ...target, status: latest.status },
        );
      }
      if (isDeadline(error)) {
        await unanswered.remember(pool, key, updateId).catch(() => {});
        throw new DependencyError(
          'temporal',
          `the workflow service did not confirm the ${action} within ${UPDATE_DEADLINE_MS / 1000} s; it may still take effect. Send the same request again to learn its outcome`,
          true,
        );
      }
      throw error;
    }
  }

  return { auditRefusal, refuse, loadVisible, readVisible, act, handle, within };
}

export type Acting = ReturnType<typeof createActing>;

/** The call ran out of its deadline (the SDK wraps the gRPC status in ServiceError): nothing is known of its outcome. */
export function isDeadline(error: unknown): boolean {
  for (
    let e = error as { code?: number; message?: string; cause?: unknown } | undefined, depth = 0;
    e && depth < 4;
    e = e.cause as typeof e, depth += 1
  ) {
    if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
    if (e.code === 4 /* DEADLINE_EXCEEDED */ || /DEADLINE_EXCEEDED|deadline exceeded/i.test(e.message ?? ''))
      return true;
  }
  return false;
}
