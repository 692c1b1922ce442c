import type { FastifyServerOptions } from 'fastify';
import type { Config } from './config';

/**
 * Structured logs with request ids. Tokens, cookies and anything shaped like a credential
 * are censored before a line is written, wherever they appear in the object.
 */
export function loggerOptions(config: Pick<Config, 'LOG_LEVEL'>): FastifyServerOptions['logger'] {
  return {
    level: config.LOG_LEVEL,
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
