import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler } from '@fastify/type-provider-zod';
import type { AppDeps } from './app-deps';
import { authPlugin } from './plugins/app/auth';
import { errorsPlugin, frameworkErrors } from './plugins/app/errors';
import { rateLimitPlugin } from './plugins/external/rate-limit';
import { swaggerPlugin } from './plugins/external/swagger';
import { healthRoutes } from './routes/health';
import { accountRoutes } from './routes/v1/accounts';
import { auditRoutes } from './routes/v1/audit';
import { requestRoutes } from './routes/v1/requests';
import { watchRoutes } from './routes/v1/watch';

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
    ajv: { customOptions: { removeAdditional: false } },
    frameworkErrors,
  });
  // JSON only: anything else is 415, not a parse attempt.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(rateLimitPlugin);
  await app.register(errorsPlugin);
  await app.register(swaggerPlugin);
  await app.register(authPlugin, { config: deps.config });
  await app.register(healthRoutes, { deps });
  await app.register(accountRoutes, { deps });
  await app.register(requestRoutes, { deps });
  await app.register(auditRoutes, { deps });
  await app.register(watchRoutes, { deps });
  return app;
}
