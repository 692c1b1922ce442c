import { randomUUID } from 'node:crypto';
import type { SecretClient } from '@azure/keyvault-secrets';
import {
  ApplicationFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import type { AuditRepository } from '../audit/audit-repository';
import type { AccountsRepository, Account } from '../db/accounts-repository';
import type { Pool } from '../db/pool';
import { withTransaction } from '../db/pool';
import { AccountBusyError, type RequestsRepository } from '../db/requests-repository';
import { initialView } from '../domain/initial-view';
import { REFUSAL, WORKFLOW_TYPE, type Scenario } from '../domain/lifecycle';
import {
  authorizeRevealUpdate,
  cancelUpdate,
  closeUpdate,
  decideUpdate,
  reviewUpdate,
  type ReviewArgs,
} from '../domain/messages';
import type { BreakglassInput, RequestView } from '../domain/request';
import { mayCancel, mayClose, mayCreate, mayDecide, mayReveal, mayReview, type Actor, type Refusal } from '../domain/rules';
import { isSecretDisabledError } from '../keyvault/secret-client';
import { NotFoundError, RefusedError } from './errors';

const START_DEADLINE_MS = 8_000;
// Long enough for the workflow to settle an accepted update (it waits up to 10 s for the resulting state).
const UPDATE_DEADLINE_MS = 25_000;

export interface LifecycleDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  secrets: SecretClient;
  accounts: AccountsRepository;
  requests: RequestsRepository;
  audit: AuditRepository;
}

export interface CreateRequestInput {
  accountId: string;
  scenario: Scenario;
  justification: string;
  incidentRef: string | null;
}

/** A request and its account as the caller already read them (the API checks visibility first). */
export interface Loaded {
  view: RequestView;
  account: Account;
}

export interface Revealed {
  value: string;
  version: string;
  releaseExpiresAt: string;
}

/**
 * Every lifecycle command, as the API performs it: check the rules against the account as
 * it is now, then let the workflow check them again against what was copied at creation.
 * Whichever refuses, the refusal is audited with the actor and the reason.
 */
export function createLifecycle(deps: LifecycleDeps) {
  const { pool, temporal, accounts, requests, audit } = deps;

  async function auditRefusal(actor: Actor, action: string, refusal: Refusal, target: { requestId?: string; accountId?: string; status?: string }) {
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

  async function refuse(actor: Actor, action: string, refusal: Refusal, target: { requestId?: string; accountId?: string; status?: string }): Promise<never> {
    await auditRefusal(actor, action, refusal, target);
    throw new RefusedError(refusal.type, refusal.reason, target.status);
  }

  async function load(requestId: string): Promise<{ view: RequestView; account: Account }> {
    // One query: the account comes with the request (a foreign key guarantees it exists).
    const loaded = await requests.getWithAccount(pool, requestId);
    if (!loaded) throw new NotFoundError(`request ${requestId}`);
    return loaded;
  }

  /** Runs a workflow update; a validator's refusal or a finished workflow becomes an audited RefusedError. */
  async function update<T>(actor: Actor, action: string, view: RequestView, run: () => Promise<T>): Promise<T> {
    try {
      return await within(UPDATE_DEADLINE_MS, run);
    } catch (error) {
      const target = { requestId: view.id, accountId: view.accountId };
      if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
        const type = error.cause.type === REFUSAL.forbidden ? REFUSAL.forbidden : REFUSAL.conflict;
        const latest = await requests.get(pool, view.id);
        return refuse(actor, action, { type, reason: error.cause.message }, { ...target, status: latest?.status });
      }
      if (error instanceof WorkflowNotFoundError) {
        const latest = (await requests.get(pool, view.id)) ?? view;
        return refuse(actor, action, { type: REFUSAL.conflict, reason: `the request is ${latest.status}; its workflow has finished` }, { ...target, status: latest.status });
      }
      throw error;
    }
  }

  const handle = (requestId: string) => temporal.workflow.getHandle(requestId);
  // A person waiting on a lifecycle call gets an answer (or a 503 naming Temporal) in bounded time.
  const within = <T>(ms: number, work: () => Promise<T>) => temporal.withDeadline(Date.now() + ms, work);

  /** Membership is checked against the account as it is now: a requester removed mid-flight can no longer act. */
  const stillRequester = (account: Account, actor: Actor): Refusal | null =>
    actor.isAdmin || account.requesters.includes(actor.id) ? null : { type: REFUSAL.forbidden, reason: 'you are no longer a requester of this account' };

  return {
    async create(actor: Actor, input: CreateRequestInput): Promise<RequestView> {
      const account = await accounts.get(pool, input.accountId);
      if (!account) throw new NotFoundError(`account ${input.accountId}`);
      const refusal = mayCreate(account, actor);
      if (refusal) return refuse(actor, 'request.create', refusal, { accountId: account.id });
      const workflowInput: BreakglassInput = {
        requestId: randomUUID(),
        accountId: account.id,
        secretName: account.secretName,
        requester: actor.id,
        scenario: input.scenario,
        justification: input.justification,
        incidentRef: input.incidentRef,
        createdAt: new Date().toISOString(),
        policy: account.policy,
        membership: { requesters: account.requesters, approvers: account.approvers, reviewers: account.reviewers },
      };
      const view = initialView(workflowInput);
      try {
        await requests.insertPending(pool, view);
      } catch (error) {
        if (error instanceof AccountBusyError) {
          return refuse(actor, 'request.create', { type: REFUSAL.conflict, reason: error.message }, { accountId: account.id });
        }
        throw error;
      }
      try {
        await within(START_DEADLINE_MS, () =>
          temporal.workflow.start(WORKFLOW_TYPE, {
            workflowId: view.id,
            taskQueue: deps.taskQueue,
            args: [workflowInput],
            workflowIdConflictPolicy: 'FAIL',
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
          }),
        );
      } catch (error) {
        await requests.remove(pool, view.id);
        if (error instanceof WorkflowExecutionAlreadyStartedError) throw new RefusedError(REFUSAL.conflict, `request ${view.id} already exists`);
        throw error;
      }
      return view;
    },

    async decide(actor: Actor, requestId: string, decision: 'approve' | 'deny', comment: string | null, loaded?: Loaded): Promise<RequestView> {
      const { view, account } = loaded ?? (await load(requestId));
      const action = decision === 'approve' ? 'request.approve' : 'request.deny';
      const refusal = mayDecide(view, account, actor);
      if (refusal) return refuse(actor, action, refusal, { requestId, accountId: view.accountId, status: view.status });
      // One update id per approver: the same person's concurrent or retried decision is one decision.
      return update(actor, action, view, () =>
        handle(requestId).executeUpdate(decideUpdate, { args: [{ actor: actor.id, decision, comment }], updateId: `decide:${actor.id}` }),
      );
    },

    async cancel(actor: Actor, requestId: string, reason: string | null, loaded?: Loaded): Promise<RequestView> {
      const { view, account } = loaded ?? (await load(requestId));
      const refusal = mayCancel(view, actor) ?? stillRequester(account, actor);
      if (refusal) return refuse(actor, 'request.cancel', refusal, { requestId, accountId: view.accountId, status: view.status });
      return update(actor, 'request.cancel', view, () =>
        handle(requestId).executeUpdate(cancelUpdate, { args: [{ actor: actor.id, isAdmin: actor.isAdmin, reason }], updateId: `cancel:${actor.id}` }),
      );
    },

    /** The workflow authorises (and audits) the reveal first; only then is Key Vault read, here in the API process. */
    async reveal(actor: Actor, requestId: string, loaded?: Loaded): Promise<Revealed> {
      const { view, account } = loaded ?? (await load(requestId));
      const refusal = mayReveal(view, actor, Date.now()) ?? stillRequester(account, { ...actor, isAdmin: false });
      if (refusal) return refuse(actor, 'credential.reveal', refusal, { requestId, accountId: view.accountId, status: view.status });
      const grant = await update(actor, 'credential.reveal', view, () =>
        handle(requestId).executeUpdate(authorizeRevealUpdate, { args: [{ actor: actor.id }], updateId: `reveal:${randomUUID()}` }),
      );
      try {
        const secret = await deps.secrets.getSecret(grant.secretName);
        if (Date.now() >= Date.parse(grant.releaseExpiresAt)) throw new RefusedError(REFUSAL.conflict, 'the release window has ended');
        return { value: secret.value ?? '', version: secret.properties.version ?? '', releaseExpiresAt: grant.releaseExpiresAt };
      } catch (error) {
        if (isSecretDisabledError(error)) {
          return refuse(actor, 'credential.reveal', { type: REFUSAL.conflict, reason: 'the credential is sealed in Key Vault' }, { requestId, accountId: view.accountId });
        }
        throw error;
      }
    },

    async close(actor: Actor, requestId: string, summary: string, loaded?: Loaded): Promise<RequestView> {
      const { view, account } = loaded ?? (await load(requestId));
      const refusal = mayClose(view, actor) ?? stillRequester(account, actor);
      if (refusal) return refuse(actor, 'session.close', refusal, { requestId, accountId: view.accountId, status: view.status });
      return update(actor, 'session.close', view, () =>
        handle(requestId).executeUpdate(closeUpdate, { args: [{ actor: actor.id, isAdmin: actor.isAdmin, summary }], updateId: `close:${actor.id}` }),
      );
    },

    async review(actor: Actor, requestId: string, review: Omit<ReviewArgs, 'actor'>, loaded?: Loaded): Promise<RequestView> {
      const { view, account } = loaded ?? (await load(requestId));
      const refusal = mayReview(view, account, actor);
      if (refusal) return refuse(actor, 'review', refusal, { requestId, accountId: view.accountId, status: view.status });
      return update(actor, 'review', view, () =>
        handle(requestId).executeUpdate(reviewUpdate, { args: [{ actor: actor.id, ...review }], updateId: `review:${actor.id}` }),
      );
    },

    /** The projection is the read path; the workflow's query is the source of truth when they differ. */
    async get(requestId: string): Promise<RequestView> {
      return (await load(requestId)).view;
    },

    load,
    auditRefusal,
  };
}

export type Lifecycle = ReturnType<typeof createLifecycle>;
