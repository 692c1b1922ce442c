import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler } from '@fastify/type-provider-zod';
import type { AppDeps } from './app-deps';
import { authPlugin } from './plugins/app/auth';
import { errorsPlugin, frameworkErrors } from './plugins/app/errors';
import { methodNotAllowedPlugin } from './plugins/app/method-not-allowed';
import { rateLimitPlugin } from './plugins/external/rate-limit';
import { swaggerPlugin } from './plugins/external/swagger';
import { healthRoutes } from './routes/health';
import { accountRoutes } from './routes/v1/accounts';
import { auditRoutes } from './routes/v1/audit';
import { requestRoutes } from './routes/v1/requests';
import { MAX_ID_LENGTH } from './schemas/common';
import { identityMappingRoutes } from './routes/v1/identity-mappings';
import { passkeyRoutes } from './routes/v1/passkeys';
import { sessionRoutes } from './routes/v1/sessions';
import { watchRoutes } from './routes/v1/watch';
import fastifyCookie from '@fastify/cookie';
import { consoleRoutes } from './console/routes';
import { securityHeadersPlugin } from './plugins/external/security-headers';

export interface BuildOptions {
  logger?: FastifyServerOptions['logger'];
}

/** The application, without listening: server.ts starts it, tests inject into it or give it a port. */
export async function buildApp(deps: AppDeps, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    // One line per request (below), not fastify's two: the log is read in an incident, and it costs per request.
    disableRequestLogging: true,
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    bodyLimit: 64 * 1024,
    trustProxy: false,
    ajv: { customOptions: { removeAdditional: false } },
    frameworkErrors,
    // The id schema's limit, so an id the schema accepts is routed and a longer one is its 400.
    routerOptions: { maxParamLength: MAX_ID_LENGTH },
  });
  // JSON only: anything else is 415, not a parse attempt.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // The line holds what the req and res serializers keep (method, url, host, remote address; the
  // status), never a header or a body, so the redaction paths find nothing in it; it skips them,
  // which cost about 3 % of the API's CPU under load. Every other line is redacted as before.
  const requestLines = app.log.child({}, { redact: { paths: [] } });
  app.addHook('onResponse', (request, reply, done) => {
    requestLines.info(
      { reqId: request.id, req: request, res: reply, responseTime: Math.round(reply.elapsedTime * 10) / 10 },
      'request completed',
    );
    done();
  });

  await app.register(rateLimitPlugin);
  await app.register(errorsPlugin);
  await app.register(methodNotAllowedPlugin);
  // Before the docs: a plugin's routes get the hooks registered before it, and /docs must have the headers too.
  await app.register(securityHeadersPlugin);
  await app.register(swaggerPlugin);
  await app.register(fastifyCookie);
  await app.register(authPlugin, { config: deps.config, auth: deps.auth, pool: deps.pool, audit: deps.audit });
  await app.register(healthRoutes, { deps });
  await app.register(accountRoutes, { deps });
  await app.register(requestRoutes, { deps });
  await app.register(auditRoutes, { deps });
  await app.register(sessionRoutes, { deps });
  await app.register(passkeyRoutes, { deps });
  await app.register(identityMappingRoutes, { deps });
  await app.register(watchRoutes, { deps });
  // The web console (static files at /) and its sign-in routes.
  await app.register(consoleRoutes, { deps });
  return app;
}
