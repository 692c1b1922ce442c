import { randomUUID } from 'node:crypto';
import {
  ApplicationFailure,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import type { Account } from '../db/accounts-repository';
import { createIdempotencyRepository } from '../db/idempotency-repository';
import { FAILURE, REFUSAL, WORKFLOW_TYPE } from '../domain/lifecycle';
import { creationUpdate } from '../domain/messages';
import type { BreakglassInput, RequestView } from '../domain/request';
import { mayCreate, type Actor } from '../domain/rules';
import type { breakglassLifecycle } from '../../workflows/lifecycle';
import { DependencyError, IdempotencyKeyReusedError, NotFoundError } from '../errors';
import { isDeadline, sha256, type Acting, type CreateRequestInput, type LifecycleDeps } from './acting';

const START_DEADLINE_MS = 6_500;

/** Creating a request: update-with-start of its workflow, and the Idempotency-Key that names the request. */
export function createRequestCreation(deps: LifecycleDeps, { refuse, within }: Acting) {
  const { pool, temporal, accounts, requests } = deps;
  const idempotency = createIdempotencyRepository();

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
  };
}
