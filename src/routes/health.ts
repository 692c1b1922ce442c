import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import { failingSinks } from '../alerts/sink-health';
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

  /**
   * Each way in, reported but never a reason to go red: an identity provider outage is not
   * fixed by restarting replicas, and taking them out of rotation would also close the other
   * ways in (passkeys, a second issuer) that exist for exactly that outage.
   */
  const identity = async () => ({
    issuers: await app.issuers.states(),
    passkeys: deps.auth.passkeys.enabled() ? ('enabled' as const) : ('disabled' as const),
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
        summary: 'Readiness: PostgreSQL, Temporal and Key Vault answer; each way in (issuers, passkeys) is reported',
        response: { 200: readinessSchema, 503: problemSchema },
      },
    },
    async (_request, reply) => {
      const [dependencies, ways] = await Promise.all([checkAll(), identity()]);
      const down = dependencies.filter((dependency) => !dependency.ok);
      // A failing alert sink does not make the service unready (alerts wait and are retried), but it is listed.
      const alertSinks = {
        failing: down.some((dependency) => dependency.name === 'postgres')
          ? []
          : await failingSinks(deps.pool).catch(() => []),
      };
      if (down.length === 0) return { status: 'ready' as const, dependencies, identity: ways, alertSinks };
      return sendProblem(
        reply,
        503,
        `not ready: ${down.map((dependency) => `${dependency.name} (${dependency.error})`).join(', ')}`,
        {
          dependencies,
          identity: ways,
          alertSinks,
        },
      );
    },
  );
};
