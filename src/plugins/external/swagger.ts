import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, jsonSchemaTransformObject } from '@fastify/type-provider-zod';
import { STATUS_TITLES } from '../app/errors';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

type Responses = Record<string, { description?: string; content?: Record<string, unknown> }>;
const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete']);
type Paths = Record<string, Record<string, { responses?: Responses }>>;

/**
 * Every error answer is sent as application/problem+json (the error handler, the not-found
 * handler and the router's own errors all go through `sendProblem`), so the document says so for
 * every operation and every status of 400 and above, with the status's title as description.
 */
export function declareProblemResponses<T extends object>(document: T): T {
  for (const operations of Object.values((document as { paths?: Paths }).paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      // The body parser answers these before any route code, on every method that carries a body.
      if (BODY_METHODS.has(method)) {
        for (const status of [413, 415])
          operation.responses![status] ??= {
            description: STATUS_TITLES[status],
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Problem' } } },
          };
      }
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (Number(status) < 400 || !response.content) continue;
        const media = response.content['application/json'] ?? Object.values(response.content)[0];
        response.content = { [PROBLEM_MEDIA_TYPE]: media };
        if (!response.description || response.description === 'Default Response')
          response.description = STATUS_TITLES[Number(status)] ?? 'Error';
      }
    }
  }
  return document;
}

/** The OpenAPI document is generated from the same zod schemas that validate requests. */
export const swaggerPlugin = fp(async (app) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Breakglass',
        version: '1',
        description:
          'Two-person-controlled, time-boxed release of an Entra ID emergency access credential, with mandatory post-use review.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: (input) => declareProblemResponses(jsonSchemaTransformObject(input)),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } as object }, async () => app.swagger());
});
