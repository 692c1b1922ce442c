import { createHash, randomUUID } from 'node:crypto';
import type { SecretClient } from '@azure/keyvault-secrets';
import {
  ApplicationFailure,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import type { AuditRepository } from '../audit/audit-repository';
import type { AccountsRepository, Account } from '../db/accounts-repository';
import { createIdempotencyRepository } from '../db/idempotency-repository';
import type { Pool } from '../db/pool';
import { withTransaction } from '../db/pool';
import type { RequestsRepository } from '../db/requests-repository';
import { createUnansweredUpdatesRepository, type UnansweredKey } from '../db/unanswered-updates-repository';
import { FAILURE, REFUSAL, WORKFLOW_TYPE, type Scenario } from '../domain/lifecycle';
import {
  authorizeRevealUpdate,
  cancelUpdate,
  closeUpdate,
  creationUpdate,
  decideUpdate,
  reviewUpdate,
  type ReviewArgs,
} from '../domain/messages';
import type { BreakglassInput, RequestView, WorkflowLimits } from '../domain/request';
import { mayCreate, mayRead, type Actor, type Refusal } from '../domain/rules';
import { isSecretDisabledError } from '../keyvault/secret-client';
import { ACTION_RULES, availableActions } from './action-rules';
import type { breakglassLifecycle } from '../../workflows/lifecycle';
import { DependencyError, IdempotencyKeyReusedError, NotFoundError, RefusedError } from '../errors';

// A person in an incident learns within seconds that the service cannot act. Longer than the
// workflow's own wait for the resulting state (4 s), so a working service always answers.
const START_DEADLINE_MS = 6_500;
const UPDATE_DEADLINE_MS = 6_500;

export interface LifecycleDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  secrets: SecretClient;
  accounts: AccountsRepository;
  requests: RequestsRepository;
  audit: AuditRepository;
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

const sha256 = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

/**
 * Every lifecycle command, as the API performs it: check who may see the request, check the
 * rules against the account as it is now, then let the workflow check them again against what
 * was copied at creation. Whichever refuses, the refusal is audited with the actor and the reason.
 */
export function createLifecycle(deps: LifecycleDeps) {
  const { pool, temporal, accounts, requests, audit } = deps;
  const idempotency = createIdempotencyRepository();
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
    const { view, account } = loaded;
    if (!mayRead(view, account, caller)) {
      await auditRefusal(
        caller,
        action,
        { type: REFUSAL.forbidden, reason: 'the request is not visible to this caller (answered 404)' },
        { requestId, accountId: view.accountId },
      );
      throw new NotFoundError(`request ${requestId}`);
    }
    return { view, account };
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
      const result = await within(UPDATE_DEADLINE_MS, () => run(updateId));
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

  /**
   * Starts the request's workflow and waits until it has recorded the creation (its first row):
   * the API writes nothing itself, so a crash at any moment leaves a whole request or none.
   * Idempotent by request id: a second call for the same id joins the first.
   */
  async function startRequest(
    actor: Actor,
    account: Account,
    input: CreateRequestInput,
    requestId: string,
  ): Promise<RequestView | { refused: string } | { finished: true }> {
    const workflowInput: BreakglassInput = {
      requestId,
      accountId: account.id,
      secretName: account.secretName,
      requester: actor.id,
      scenario: input.scenario,
      justification: input.justification,
      incidentRef: input.incidentRef,
      createdAt: new Date().toISOString(),
      policy: account.policy,
      membership: { requesters: account.requesters, approvers: account.approvers, reviewers: account.reviewers },
      ...(deps.workflowLimits ? { limits: deps.workflowLimits } : {}),
    };
    try {
      return await within(START_DEADLINE_MS, () =>
        temporal.workflow.executeUpdateWithStart(creationUpdate, {
          args: [],
          startWorkflowOperation: new WithStartWorkflowOperation<typeof breakglassLifecycle>(WORKFLOW_TYPE, {
            workflowId: requestId,
            taskQueue: deps.taskQueue,
            args: [workflowInput],
            workflowIdConflictPolicy: 'USE_EXISTING',
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
            // Key Vault and Postgres calls run inside workflow tasks (local activities): a worker
            // that dies in one delays the request by this timeout, not by the default 10 s.
            workflowTaskTimeout: '5 seconds',
          }),
        }),
      );
    } catch (error) {
      if (
        error instanceof WorkflowUpdateFailedError &&
        error.cause instanceof ApplicationFailure &&
        error.cause.type === FAILURE.accountBusy
      ) {
        return { refused: error.cause.message };
      }
      // The id's workflow has already finished: it was created (and its row tells) or refused.
      if (error instanceof WorkflowExecutionAlreadyStartedError) return { finished: true };
      if (isDeadline(error)) {
        throw new DependencyError(
          'temporal',
          `the workflow service did not confirm the request within ${START_DEADLINE_MS / 1000} s; it may still be created. Retry with the same Idempotency-Key to learn its outcome`,
          true,
        );
      }
      throw error;
    }
  }

  return {
    /**
     * Creates a request. With an Idempotency-Key, every attempt with that key (concurrent, or a
     * retry after a crash or a timeout) creates the one request the key reserved.
     */
    async create(actor: Actor, input: CreateRequestInput, idempotencyKey?: string): Promise<RequestView> {
      const account = await accounts.get(pool, input.accountId);
      if (!account) throw new NotFoundError(`account ${input.accountId}`);
      const refusal = mayCreate(account, actor);
      if (refusal) return refuse(actor, 'request.create', refusal, { accountId: account.id });
      let requestId: string = randomUUID();
      if (idempotencyKey) {
        const claim = await idempotency.claim(pool, actor.id, idempotencyKey, sha256(input), requestId);
        if (claim.bodyHash !== sha256(input)) throw new IdempotencyKeyReusedError();
        requestId = claim.requestId;
      }
      for (let attempt = 0; ; attempt += 1) {
        const outcome = await startRequest(actor, account, input, requestId);
        if (!('refused' in outcome) && !('finished' in outcome)) return outcome;
        if ('finished' in outcome) {
          const existing = await requests.get(pool, requestId);
          if (existing) return existing;
        }
        // Refused now, or refused when the key was first used: a key's retry may try again once
        // the account is free, so the key moves on to a fresh id.
        if (idempotencyKey && 'finished' in outcome && attempt === 0) {
          requestId = await idempotency.renew(pool, actor.id, idempotencyKey, requestId, randomUUID());
          continue;
        }
        const reason =
          'refused' in outcome
            ? outcome.refused
            : `account ${account.id} already has a request that is pending_approval or released`;
        return refuse(actor, 'request.create', { type: REFUSAL.conflict, reason }, { accountId: account.id });
      }
    },

    async decide(
      caller: Caller,
      requestId: string,
      decision: 'approve' | 'deny',
      comment: string | null,
    ): Promise<RequestView> {
      const args = { actor: caller.id, decision, comment };
      const { result } = await act(
        caller,
        requestId,
        decision === 'approve' ? 'request.approve' : 'request.deny',
        args,
        (view, account) => ACTION_RULES[decision](view, account, caller, Date.now()),
        (updateId) => handle(requestId).executeUpdate(decideUpdate, { args: [args], updateId }),
      );
      return result;
    },

    async cancel(caller: Caller, requestId: string, reason: string | null): Promise<RequestView> {
      const args = { actor: caller.id, isAdmin: caller.isAdmin, reason };
      const { result } = await act(
        caller,
        requestId,
        'request.cancel',
        args,
        (view, account) => ACTION_RULES.cancel(view, account, caller, Date.now()),
        (updateId) => handle(requestId).executeUpdate(cancelUpdate, { args: [args], updateId }),
      );
      return result;
    },

    /** The workflow authorises (and audits) the reveal first; only then is Key Vault read, here in the API process. */
    async reveal(caller: Caller, requestId: string): Promise<Revealed> {
      const args = { actor: caller.id };
      const { result: grant, view } = await act(
        caller,
        requestId,
        'credential.reveal',
        args,
        (current, account) => ACTION_RULES.reveal(current, account, caller, Date.now()),
        (updateId) => handle(requestId).executeUpdate(authorizeRevealUpdate, { args: [args], updateId }),
      );
      try {
        const secret = await deps.secrets.getSecret(grant.secretName);
        if (Date.now() >= Date.parse(grant.releaseExpiresAt))
          throw new RefusedError(REFUSAL.conflict, 'the release window has ended');
        return {
          value: secret.value ?? '',
          version: secret.properties.version ?? '',
          releaseExpiresAt: grant.releaseExpiresAt,
        };
      } catch (error) {
        if (isSecretDisabledError(error)) {
          return refuse(
            caller,
            'credential.reveal',
            { type: REFUSAL.conflict, reason: 'the credential is sealed in Key Vault' },
            { requestId, accountId: view.accountId },
          );
        }
        throw error;
      }
    },

    async close(caller: Caller, requestId: string, summary: string): Promise<RequestView> {
      const args = { actor: caller.id, isAdmin: caller.isAdmin, summary };
      const { result } = await act(
        caller,
        requestId,
        'session.close',
        args,
        (view, account) => ACTION_RULES.close(view, account, caller, Date.now()),
        (updateId) => handle(requestId).executeUpdate(closeUpdate, { args: [args], updateId }),
      );
      return result;
    },

    async review(caller: Caller, requestId: string, review: Omit<ReviewArgs, 'actor'>): Promise<RequestView> {
      const args = { actor: caller.id, ...review };
      const { result } = await act(
        caller,
        requestId,
        'review',
        args,
        (view, account) => ACTION_RULES.review(view, account, caller, Date.now()),
        (updateId) => handle(requestId).executeUpdate(reviewUpdate, { args: [args], updateId }),
      );
      return result;
    },

    /** What this caller may do now, by the same rules the actions apply (null: allowed, else the refusal). */
    async actions(caller: Caller, requestId: string) {
      const { view, account } = await loadVisible(caller, requestId, 'request.read');
      return availableActions(view, account, caller, Date.now());
    },

    /** The projection is the read path; the workflow's query is the source of truth when they differ. */
    async get(caller: Caller, requestId: string): Promise<RequestView> {
      return (await loadVisible(caller, requestId, 'request.read')).view;
    },

    auditRefusal,
  };
}

/** The call ran out of its deadline (the SDK wraps the gRPC status in ServiceError): nothing is known of its outcome. */
function isDeadline(error: unknown): boolean {
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

export type Lifecycle = ReturnType<typeof createLifecycle>;
