import type { FastifyRequest, FastifyServerOptions } from 'fastify';
import type { Config } from './config';

/**
 * Structured logs with request ids. Tokens, cookies and anything shaped like a credential
 * are censored before a line is written, wherever they appear in the object.
 */
export function loggerOptions(config: Pick<Config, 'LOG_LEVEL'>): FastifyServerOptions['logger'] {
  return {
    level: config.LOG_LEVEL,
    serializers: { req: requestForLog },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["idempotency-key"]',
        'res.headers["set-cookie"]',
        '*.value',
        '*.password',
        '*.token',
        '*.secret',
        'value',
        'token',
        'password',
      ],
      censor: '[redacted]',
    },
  };
}

/** Sign-in URLs carry the provider's authorization code and state in their query: logged without it. */
const SIGN_IN_PATH = /^\/auth\//;

function requestForLog(request: FastifyRequest) {
  // The matched route as well as the raw URL: a percent-encoded path (/%61uth/...) reaches the same route.
  const signIn = SIGN_IN_PATH.test(request.url) || SIGN_IN_PATH.test(request.routeOptions?.url ?? '');
  const url = signIn ? request.url.split('?')[0] : request.url;
  return {
    method: request.method,
    url,
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
