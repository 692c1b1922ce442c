import type { FastifyPluginAsync } from 'fastify';
import { failingSinks } from '../alerts/sink-health';
import { createReadinessChecks } from '../health/checks';
import type { AppDeps } from '../app-deps';

export const healthRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  const checkAll = createReadinessChecks({ pool: deps.pool, temporal: deps.healthConnection, secrets: deps.secrets, namespace: deps.config.TEMPORAL_NAMESPACE });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const dependencies = await checkAll();
    const down = dependencies.filter((dependency) => !dependency.ok);
    // A failing alert sink does not make the service unready (alerts wait and are retried), but it is listed.
    const alertSinks = { failing: down.some((dependency) => dependency.name === 'postgres') ? [] : await failingSinks(deps.pool).catch(() => []) };
    if (down.length === 0) return { status: 'ready', dependencies, alertSinks };
    return reply
      .code(503)
      .type('application/problem+json')
      .send({
        type: 'about:blank',
        title: 'Service Unavailable',
        status: 503,
        detail: `not ready: ${down.map((dependency) => `${dependency.name} (${dependency.error})`).join(', ')}`,
        dependencies,
        alertSinks,
      });
  });
};
