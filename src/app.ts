import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { AppDeps } from './app-deps';
import { healthRoutes } from './routes/health';

export interface BuildOptions {
  logger?: FastifyServerOptions['logger'];
}

/** The application, without listening: server.ts starts it, tests inject into it or give it a port. */
export async function buildApp(deps: AppDeps, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    bodyLimit: 64 * 1024,
    trustProxy: false,
  });
  await app.register(healthRoutes, { deps });
  return app;
}
