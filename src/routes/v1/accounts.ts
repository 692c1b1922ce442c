import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import { accountSchema, createAccountBody, patchAccountBody } from '../../schemas/account';
import { idParams, problemResponses } from '../../schemas/common';

/** Rules across fields that JSON Schema cannot state: the document says them in words. */
const SEPARATION =
  'Nobody may be both a requester and an approver or reviewer, and there must be at least policy.requiredApprovals approvers; otherwise 400 naming the field.';

const problems = problemResponses(400, 401, 403, 404, 409, 503);

export const accountRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (plugin, { deps }) => {
  const app = plugin.withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', app.authenticate);

  app.post(
    '/v1/accounts',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Register a break-glass account (admin); its secret must exist and is sealed',
        description: SEPARATION,
        body: createAccountBody,
        response: { 201: accountSchema, ...problems },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await deps.accountCommands.register(request.principal, request.body)),
  );

  app.get(
    '/v1/accounts',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Accounts: all for admins and auditors, otherwise those the caller belongs to',
        response: { 200: z.object({ items: z.array(accountSchema) }), ...problems },
      },
    },
    async (request) => ({ items: await deps.accountCommands.list(request.principal) }),
  );

  app.get(
    '/v1/accounts/:id',
    {
      schema: {
        tags: ['accounts'],
        summary: 'One account',
        params: idParams,
        response: { 200: accountSchema, ...problems },
      },
    },
    async (request) => deps.accountCommands.get(request.principal, request.params.id),
  );

  app.patch(
    '/v1/accounts/:id',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Change members or policy (admin); requests in flight keep their copied policy',
        description: `${SEPARATION} The rules apply to the account as changed.`,
        params: idParams,
        body: patchAccountBody,
        response: { 200: accountSchema, ...problems },
      },
    },
    async (request) => deps.accountCommands.update(request.principal, request.params.id, request.body),
  );
};
