import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import { createReadinessChecks } from '../health/checks';
import type { AppDeps } from '../app-deps';
import { sendProblem } from '../plugins/app/errors';
import { problemSchema } from '../schemas/common';
import { livenessSchema, readinessSchema } from '../schemas/health';

/** Probes are public: an orchestrator calls them without a token, so the document says no security applies. */
const publicProbe = { tags: ['health'], security: [] };

export const healthRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (plugin, { deps }) => {
  const app = plugin.withTypeProvider<ZodTypeProvider>();
  const checkAll = createReadinessChecks({
    pool: deps.pool,
    temporal: deps.healthConnection,
    secrets: deps.secrets,
    namespace: deps.config.TEMPORAL_NAMESPACE,
  });

  app.get(
    '/healthz',
    { schema: { ...publicProbe, summary: 'Liveness: the process answers', response: { 200: livenessSchema } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        ...publicProbe,
        summary: 'Readiness: PostgreSQL, Temporal and Key Vault answer',
        response: { 200: readinessSchema, 503: problemSchema },
      },
    },
    async (_request, reply) => {
      const dependencies = await checkAll();
      const down = dependencies.filter((dependency) => !dependency.ok);
      if (down.length === 0) return { status: 'ready' as const, dependencies };
      return sendProblem(
        reply,
        503,
        `not ready: ${down.map((dependency) => `${dependency.name} (${dependency.error})`).join(', ')}`,
        { dependencies },
      );
    },
  );
};
