import type { FastifyPluginAsync } from 'fastify';
import { createReadinessChecks } from '../health/checks';
import type { AppDeps } from '../app-deps';

export const healthRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  const checkAll = createReadinessChecks({ pool: deps.pool, temporal: deps.healthConnection, secrets: deps.secrets, namespace: deps.config.TEMPORAL_NAMESPACE });

  app.get('/healthz', async () => ({ status: 'ok' }));

  /**
   * Each way in, reported but never a reason to go red: an identity provider outage is not
   * fixed by restarting replicas, and taking them out of rotation would also close the other
   * ways in (passkeys, a second issuer) that exist for exactly that outage.
   */
  const identity = async () => ({
    issuers: await app.issuers.states(),
    passkeys: deps.auth.passkeys.enabled() ? ('enabled' as const) : ('disabled' as const),
  });

  app.get('/readyz', async (_request, reply) => {
    const [dependencies, ways] = await Promise.all([checkAll(), identity()]);
    const down = dependencies.filter((dependency) => !dependency.ok);
    if (down.length === 0) return { status: 'ready', dependencies, identity: ways };
    return reply
      .code(503)
      .type('application/problem+json')
      .send({
        type: 'about:blank',
        title: 'Service Unavailable',
        status: 503,
        detail: `not ready: ${down.map((dependency) => `${dependency.name} (${dependency.error})`).join(', ')}`,
        dependencies,
        identity: ways,
      });
  });
};
