import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import type { AppDeps } from '../../app-deps';
import { mayReadAudit } from '../../domain/rules';
import { RefusedError } from '../../errors';
import { auditListSchema, auditQuery, verifyQuery, verifySchema } from '../../schemas/audit';
import { problemResponses } from '../../schemas/common';

const problems = problemResponses(400, 401, 403, 503);

export const auditRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (plugin, { deps }) => {
  const app = plugin.withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', app.authenticate);
  app.addHook('preHandler', async (request) => {
    const refusal = mayReadAudit(request.principal);
    if (!refusal) return;
    await deps.lifecycle.auditRefusal(request.principal, 'audit.read', refusal, {});
    throw new RefusedError(refusal.type, refusal.reason);
  });

  app.get(
    '/v1/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'Audit events in order (admin, auditor)',
        querystring: auditQuery,
        response: { 200: auditListSchema, ...problems },
      },
    },
    async (request) => {
      const events = await deps.audit.list(deps.pool, request.query);
      const last = events[events.length - 1];
      return { events, nextAfter: events.length === request.query.limit && last ? last.seq : null };
    },
  );

  app.get(
    '/v1/audit/verify',
    {
      schema: {
        tags: ['audit'],
        summary:
          'Check the hash chain; names the first broken seq and, given a checkpoint hash, whether the chain still contains it',
        querystring: verifyQuery,
        response: { 200: verifySchema, ...problems },
      },
    },
    async (request) => deps.audit.verify(deps.pool, undefined, request.query.checkpoint),
  );
};
