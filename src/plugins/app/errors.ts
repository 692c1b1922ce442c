import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from '@fastify/type-provider-zod';
import { DependencyError, ProblemError, UnauthenticatedError } from '../../errors';
import { keyVaultUnavailableReason } from '../../keyvault/secret-client';
import { MAX_ID_LENGTH } from '../../schemas/common';

export const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
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
    .send({ type: 'about:blank', title: STATUS_TITLES[status] ?? 'Error', status, detail, ...extra });
}

const REALM = 'breakglass';

/** Header values must stay printable ASCII (Node throws on others) and must not break out of the quoted string. */
function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7E]|["\\]/g, '?').slice(0, 200);
}

/** Fastify's own body errors, described by the field they concern. */
const BODY_ERRORS: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'is empty but content-type is application/json',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'must be sent as application/json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'length does not match content-length',
  FST_ERR_CTP_BODY_TOO_LARGE: 'is larger than the 64 KiB limit',
};

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: { keys?: unknown };
}

/** One entry per failing field: `body.policy.requiredApprovals`; unknown keys each name themselves. */
function fieldErrors(context: string, issue: ValidationIssue): Array<{ path: string; message: string }> {
  const segments = (issue.instancePath ?? '').split('/').filter(Boolean);
  const base = [context, ...segments].join('.');
  if (issue.keyword === 'unrecognized_keys' && Array.isArray(issue.params?.keys) && issue.params.keys.length) {
    return issue.params.keys.map((key) => ({ path: `${base}.${String(key)}`, message: 'is not a known property' }));
  }
  return [{ path: base, message: issue.message ?? 'is invalid' }];
}

/** Which dependency an infrastructure error came from, so a 503 can name it. */
function dependencyOf(error: unknown): DependencyError | null {
  const e = error as {
    name?: string;
    code?: string | number;
    message?: string;
    statusCode?: number;
    constructor?: { name?: string };
  };
  const message = e.message ?? '';
  if (
    e.name === 'ServiceError' ||
    e.name === 'TransportError' ||
    /tonic::transport|Channel has been shut down|UNAVAILABLE|DEADLINE_EXCEEDED/.test(message)
  )
    return new DependencyError('temporal', 'the workflow service did not answer');
  // Any Key Vault failure but SecretDisabled (401, 403 RBAC/policy, 429, 5xx): the service cannot act, not the caller's fault.
  const keyVault = keyVaultUnavailableReason(error);
  if (keyVault) return new DependencyError('keyvault', keyVault);
  if (
    typeof e.code === 'string' &&
    (/^(08|53|57P)/.test(e.code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT'].includes(e.code)) &&
    !('statusCode' in e)
  )
    return new DependencyError('postgres', 'the database did not answer');
  if (/timeout exceeded when trying to connect|Connection terminated/.test(message))
    return new DependencyError('postgres', 'the database did not answer');
  return null;
}

/**
 * For Fastify's `frameworkErrors` option (router errors raised before any route or hook runs:
 * a malformed URL encoding, a path parameter over `maxParamLength`), so they are problem+json too.
 * Wire it in the Fastify constructor: `Fastify({ ..., frameworkErrors })`.
 */
export function frameworkErrors(error: FastifyError, _request: unknown, reply: FastifyReply) {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    // The router's limit is the id schema's (app.ts), so this is the same 400 the schema gives, not a 414.
    const message = `must be at most ${MAX_ID_LENGTH} characters`;
    return sendProblem(reply, 400, `params: a path parameter ${message}`, { errors: [{ path: 'params', message }] });
  }
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  const detail =
    error.code === 'FST_ERR_BAD_URL' ? 'the URL is not validly encoded' : 'the request could not be routed';
  return sendProblem(reply, status, detail);
}

/** One place maps errors to problem responses; nothing internal (stack, SQL, hosts) reaches a client. */
export const errorsPlugin = fp(
  async (app) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (hasZodFastifySchemaValidationErrors(error)) {
        const errors = error.validation.flatMap((issue) => fieldErrors(error.validationContext ?? 'body', issue));
        return sendProblem(reply, 400, errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
      }
      if (error instanceof UnauthenticatedError) {
        // RFC 6750 §3: no error code when the request carried no credentials; the description
        // may echo token content, so only printable ASCII without quotes reaches the header.
        const challenge = error.missing
          ? `Bearer realm="${REALM}"`
          : `Bearer realm="${REALM}", error="invalid_token", error_description="${headerSafe(error.message)}"`;
        void reply.header('www-authenticate', challenge);
      }
      if (error instanceof DependencyError)
        request.log.error({ err: error, dependency: error.dependency }, 'dependency unavailable');
      // Our own errors know their status and problem members (src/errors.ts).
      if (error instanceof ProblemError) return sendProblem(reply, error.statusCode, error.message, error.extensions);
      const bodyProblem = BODY_ERRORS[error.code];
      if (bodyProblem)
        return sendProblem(reply, error.statusCode ?? 400, `body: ${bodyProblem}`, {
          errors: [{ path: 'body', message: bodyProblem }],
        });
      // Before the 429 below: Key Vault throttling the service is a 503 naming Key Vault, not the caller's rate limit.
      const dependency = dependencyOf(error);
      if (dependency) {
        request.log.error({ err: error, dependency: dependency.dependency }, 'dependency unavailable');
        return sendProblem(reply, 503, dependency.message, dependency.extensions);
      }
      if (error.statusCode === 429)
        return sendProblem(reply, 429, error.message || 'rate limit exceeded; try again later');
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
