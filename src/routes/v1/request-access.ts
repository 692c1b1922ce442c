import type { FastifyRequest } from 'fastify';
import type { AppDeps } from '../../app-deps';
import type { Loaded } from '../../lifecycle/commands';
import { mayRead } from '../../domain/rules';
import { NotFoundError } from '../../lifecycle/errors';

/**
 * Loads a request for the caller. Someone who may not read it gets the same 404 as for a
 * request that does not exist (so ids cannot be probed), and the refusal is audited.
 */
export async function loadVisible(deps: AppDeps, request: FastifyRequest, requestId: string, action: string): Promise<Loaded> {
  const principal = request.principal;
  let loaded;
  try {
    loaded = await deps.lifecycle.load(requestId);
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError(`request ${requestId}`);
    throw error;
  }
  if (!mayRead(loaded.view, loaded.account, principal)) {
    await deps.lifecycle.auditRefusal(principal, action, { type: 'Forbidden', reason: 'the request is not visible to this caller (answered 404)' }, { requestId, accountId: loaded.view.accountId });
    throw new NotFoundError(`request ${requestId}`);
  }
  return loaded;
}
