import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import { registerAccount } from '../../accounts/register';
import { withTransaction } from '../../db/pool';
import { InvalidInputError, NotFoundError, RefusedError } from '../../lifecycle/errors';
import { accountSchema, accountSeparationCheck, createAccountBody, patchAccountBody } from '../../schemas/account';
import { idParams, problemSchema } from '../../schemas/common';

const problems = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 503: problemSchema };

export const accountRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (plugin, { deps }) => {
  const app = plugin.withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', app.authenticate);

  async function requireAdmin(request: FastifyRequest, action: string, accountId?: string) {
    if (request.principal.isAdmin) return;
    await deps.lifecycle.auditRefusal(request.principal, action, { type: 'Forbidden', reason: 'only BreakGlass.Admin manages accounts' }, { accountId });
    throw new RefusedError('Forbidden', 'only BreakGlass.Admin manages accounts');
  }

  app.post(
    '/v1/accounts',
    { schema: { tags: ['accounts'], summary: 'Register a break-glass account (admin); its secret must exist and is sealed', body: createAccountBody, response: { 201: accountSchema, ...problems } } },
    async (request, reply) => {
      await requireAdmin(request, 'account.register', request.body.id);
      const account = await registerAccount(deps, request.principal.id, request.body);
      return reply.code(201).send(account);
    },
  );

  app.get(
    '/v1/accounts',
    { schema: { tags: ['accounts'], summary: 'Accounts: all for admins and auditors, otherwise those the caller belongs to', response: { 200: z.object({ items: z.array(accountSchema) }), ...problems } } },
    async (request) => {
      const all = await deps.accounts.list(deps.pool);
      const { principal } = request;
      const items = principal.isAdmin || principal.isAuditor ? all : all.filter((a) => [...a.requesters, ...a.approvers, ...a.reviewers].includes(principal.id));
      return { items };
    },
  );

  app.get(
    '/v1/accounts/:id',
    { schema: { tags: ['accounts'], summary: 'One account', params: idParams, response: { 200: accountSchema, ...problems } } },
    async (request) => {
      const account = await deps.accounts.get(deps.pool, request.params.id);
      const { principal } = request;
      const member = account && [...account.requesters, ...account.approvers, ...account.reviewers].includes(principal.id);
      if (!account || !(principal.isAdmin || principal.isAuditor || member)) throw new NotFoundError(`account ${request.params.id}`);
      return account;
    },
  );

  app.patch(
    '/v1/accounts/:id',
    { schema: { tags: ['accounts'], summary: 'Change members or policy (admin); requests in flight keep their copied policy', params: idParams, body: patchAccountBody, response: { 200: accountSchema, ...problems } } },
    async (request) => {
      await requireAdmin(request, 'account.update', request.params.id);
      return withTransaction(deps.pool, async (tx) => {
        const current = await deps.accounts.get(tx, request.params.id);
        if (!current) throw new NotFoundError(`account ${request.params.id}`);
        const merged = { ...current, ...request.body };
        const check = z.object({}).passthrough().superRefine((value, ctx) => accountSeparationCheck(value as typeof merged, ctx)).safeParse(merged);
        if (!check.success) throw new InvalidInputError(check.error.issues.map((issue) => ({ path: ['body', ...issue.path].join('.'), message: issue.message })));
        const updated = (await deps.accounts.update(tx, current.id, request.body))!;
        await deps.audit.append(tx, { actor: request.principal.id, action: 'account.updated', accountId: current.id, details: { changes: request.body } });
        return updated;
      });
    },
  );
};
