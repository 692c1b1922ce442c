import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import { mayManage } from '../../domain/rules';
import { withTransaction } from '../../db/pool';
import { NotFoundError, RefusedError } from '../../errors';
import { identityMappingBody, identityMappingKey, identityMappingSchema } from '../../schemas/auth';
import { problemResponses } from '../../schemas/common';

const problems = problemResponses(400, 401, 403, 404, 409, 503);

/** Admin-managed (issuer, subject) → principal: how a further issuer's identities act. */
export const identityMappingRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (plugin, { deps }) => {
  const app = plugin.withTypeProvider<ZodTypeProvider>();
  const { mappings } = deps.auth;
  app.addHook('onRequest', app.authenticate);

  async function requireAdmin(request: FastifyRequest, action: string) {
    const refusal = mayManage(request.principal, 'identity mappings');
    if (!refusal) return;
    await deps.lifecycle.auditRefusal(request.principal, action, refusal, {});
    throw new RefusedError(refusal.type, refusal.reason);
  }

  app.post(
    '/v1/identity-mappings',
    {
      schema: {
        tags: ['identity'],
        summary: "Map a further issuer's (issuer, subject) to a principal (admin)",
        body: identityMappingBody,
        response: { 201: identityMappingSchema, ...problems },
      },
    },
    async (request, reply) => {
      await requireAdmin(request, 'identity_mapping.create');
      const { issuer, subject, principal } = request.body;
      if (!request.server.issuers.find(issuer))
        throw Object.assign(new RefusedError('Conflict', `issuer ${issuer} is not configured (AUTH_ISSUERS)`), {
          statusCode: 400,
        });
      const created = await withTransaction(deps.pool, async (tx) => {
        const added = await mappings.add(tx, { issuer, subject, principal, createdBy: request.principal.id });
        if (added)
          await deps.audit.append(tx, {
            actor: request.principal.id,
            action: 'identity_mapping.created',
            details: { issuer, subject, principal },
          });
        return added;
      });
      if (!created)
        throw new RefusedError(
          'Conflict',
          'this (issuer, subject) is already mapped; remove the mapping first to change it',
        );
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/v1/identity-mappings',
    {
      schema: {
        tags: ['identity'],
        summary: 'All identity mappings (admin)',
        response: { 200: z.object({ items: z.array(identityMappingSchema) }), ...problems },
      },
    },
    async (request) => {
      await requireAdmin(request, 'identity_mapping.read');
      return { items: await mappings.list(deps.pool) };
    },
  );

  app.delete(
    '/v1/identity-mappings',
    {
      schema: {
        tags: ['identity'],
        summary: 'Remove a mapping (admin); that identity is refused from its next call',
        querystring: identityMappingKey,
        response: { 200: identityMappingSchema, ...problems },
      },
    },
    async (request) => {
      await requireAdmin(request, 'identity_mapping.remove');
      const { issuer, subject } = request.query;
      const removed = await withTransaction(deps.pool, async (tx) => {
        const gone = await mappings.remove(tx, issuer, subject);
        if (gone)
          await deps.audit.append(tx, {
            actor: request.principal.id,
            action: 'identity_mapping.removed',
            details: { issuer, subject, principal: gone.principal },
          });
        return gone;
      });
      if (!removed) throw new NotFoundError('identity mapping');
      return removed;
    },
  );
};
