import fp from 'fastify-plugin';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/**
 * Security headers on every answer (console pages and API alike): a Content Security Policy
 * with scripts, styles and connections from this origin only (no inline script, no third-party
 * origin), no framing (`frame-ancestors 'none'`, clickjacking), no referrer leaking request ids.
 *
 * helmet's answer is the same for every request (no nonce, nothing read from the request), so
 * helmet is asked once at start and its headers are set by a global onRequest hook. (@fastify/helmet
 * rebuilt the middleware, parsing the policy again, on every request: about 5 % of the API's CPU
 * under load; running the built middleware's chain on every request cost half that again.)
 */
export const securityHeadersPlugin = fp(
  async (app) => {
    const setHeaders = helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          fontSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
      referrerPolicy: { policy: 'no-referrer' },
      crossOriginEmbedderPolicy: false,
    });
    const set: Array<[string, string | string[]]> = [];
    const removed: string[] = [];
    let answered = false;
    setHeaders(
      {} as IncomingMessage,
      {
        setHeader: (name: string, value: string | string[]) => void set.push([name, value]),
        removeHeader: (name: string) => void removed.push(name),
      } as unknown as ServerResponse,
      (error?: unknown) => {
        if (error) throw error;
        answered = true;
      },
    );
    // Helmet answers at once; if a later version stops doing so, fail at start rather than send no headers.
    if (!answered || set.length === 0) throw new Error('helmet did not give its headers synchronously');
    app.addHook('onRequest', (request, reply, done) => {
      const res = reply.raw;
      for (const [name, value] of set) res.setHeader(name, value);
      for (const name of removed) res.removeHeader(name);
      done();
    });
  },
  { name: 'breakglass-security-headers' },
);
