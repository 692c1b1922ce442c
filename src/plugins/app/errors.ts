import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from '@fastify/type-provider-zod';
import { DependencyError, NotFoundError, RefusedError } from '../../lifecycle/errors';
import { UnauthenticatedError } from './auth';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function sendProblem(reply: FastifyReply, status: number, detail: string, extra: Record<string, unknown> = {}) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, ...extra });
}

/** Which dependency an infrastructure error came from, so a 503 can name it. */
function dependencyOf(error: unknown): DependencyError | null {
  if (error instanceof DependencyError) return error;
  const e = error as { name?: string; code?: string | number; message?: string; statusCode?: number; constructor?: { name?: string } };
  const message = e.message ?? '';
  if (e.name === 'ServiceError' || e.name === 'TransportError' || /tonic::transport|Channel has been shut down|UNAVAILABLE|DEADLINE_EXCEEDED/.test(message))
    return new DependencyError('temporal', 'the workflow service did not answer');
  if (e.name === 'RestError' && (e.statusCode === undefined || e.statusCode >= 500 || e.code === 'REQUEST_SEND_ERROR'))
    return new DependencyError('keyvault', 'Key Vault did not answer');
  if (typeof e.code === 'string' && (/^(08|53|57P)/.test(e.code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT'].includes(e.code)) && !('statusCode' in e))
    return new DependencyError('postgres', 'the database did not answer');
  if (/timeout exceeded when trying to connect|Connection terminated/.test(message)) return new DependencyError('postgres', 'the database did not answer');
  return null;
}

/** One place maps errors to problem responses; nothing internal (stack, SQL, hosts) reaches a client. */
export const errorsPlugin = fp(
  async (app) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (hasZodFastifySchemaValidationErrors(error)) {
        const errors = error.validation.map((issue) => {
          const path = `${error.validationContext ?? 'body'}${issue.instancePath ? issue.instancePath.replace(/\//g, '.') : ''}`;
          return { path, message: issue.message ?? 'is invalid' };
        });
        return sendProblem(reply, 400, errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
      }
      if (error instanceof UnauthenticatedError) {
        void reply.header('www-authenticate', `Bearer error="invalid_token", error_description="${error.message.replace(/"/g, "'")}"`);
        return sendProblem(reply, 401, error.message);
      }
      if (error instanceof RefusedError) return sendProblem(reply, error.statusCode, error.reason, error.currentStatus ? { currentStatus: error.currentStatus } : {});
      if (error instanceof NotFoundError) return sendProblem(reply, 404, error.message);
      if (error.statusCode === 429) return sendProblem(reply, 429, error.message || 'rate limit exceeded; try again later');
      const dependency = dependencyOf(error);
      if (dependency) {
        request.log.error({ err: error, dependency: dependency.dependency }, 'dependency unavailable');
        return sendProblem(reply, 503, dependency.message, { dependency: dependency.dependency });
      }
      if (isResponseSerializationError(error)) {
        request.log.error({ err: error }, 'response did not match its schema');
        return sendProblem(reply, 500, 'internal error');
      }
      if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
        // Fastify's own client errors (bad JSON, wrong content type, body too large): safe to describe.
        return sendProblem(reply, error.statusCode, error.message);
      }
      request.log.error({ err: error }, 'unhandled error');
      return sendProblem(reply, 500, 'internal error; the request id in the logs identifies it');
    });

    app.setNotFoundHandler(
      { preHandler: app.rateLimit ? app.rateLimit({ max: 30, timeWindow: '1 minute' }) : undefined },
      (request, reply) => sendProblem(reply, 404, `no route ${request.method} ${request.url.split('?')[0]}`),
    );
  },
  { name: 'breakglass-errors', dependencies: ['@fastify/rate-limit'] },
);
