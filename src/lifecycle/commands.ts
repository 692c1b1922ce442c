import { REFUSAL } from '../domain/lifecycle';
import {
  authorizeRevealUpdate,
  cancelUpdate,
  closeUpdate,
  decideUpdate,
  reviewUpdate,
  type ReviewArgs,
} from '../domain/messages';
import type { RequestView } from '../domain/request';
import { isSecretDisabledError } from '../keyvault/secret-client';
import { RefusedError } from '../errors';
import { ACTION_RULES, availableActions } from './action-rules';
import { createActing, type Caller, type LifecycleDeps, type Revealed } from './acting';
import { createRequestCreation } from './create-request';

export type { Caller, CreateRequestInput, LifecycleDeps, Revealed } from './acting';

/**
 * Every lifecycle command, as the API performs it: check who may see the request, check the
 * rules against the account as it is now, then let the workflow check them again against what
 * was copied at creation. Whichever refuses, the refusal is audited with the actor and the reason.
 */
export function createLifecycle(deps: LifecycleDeps) {
  const acting = createActing(deps);
  const { act, handle, refuse, loadVisible, readVisible, auditRefusal } = acting;

  return {
    ...createRequestCreation(deps, acting),

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
      return readVisible(caller, requestId, 'request.read');
    },

    auditRefusal,
  };
}

export type Lifecycle = ReturnType<typeof createLifecycle>;
