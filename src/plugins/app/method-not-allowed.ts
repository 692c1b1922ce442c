import fp from 'fastify-plugin';
import { sendProblem } from './errors';

interface KnownPath {
  pattern: RegExp;
  methods: Set<string>;
}

/** `/v1/requests/:id/close` → a regular expression for concrete paths; `*` matches the rest. */
function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) =>
      segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return new RegExp(`^${source}$`);
}

/**
 * A known path asked with a method it does not have is 405 with an `Allow` header (RFC 9110
 * §15.5.6), not 404: the path exists. Answered in onRequest, before any body is read, so an
 * unsupported body method (QUERY, TRACE) gets the same answer whatever it carries.
 */
export const methodNotAllowedPlugin = fp(
  async (app) => {
    const known = new Map<string, KnownPath>();
    app.addHook('onRoute', (route) => {
      const entry = known.get(route.url) ?? { pattern: patternOf(route.url), methods: new Set<string>() };
      for (const method of [route.method].flat()) entry.methods.add(method.toUpperCase());
      known.set(route.url, entry);
    });

    // Not async: it runs before every request, and a routed one (nearly all) passes straight on.
    app.addHook('onRequest', (request, reply, done) => {
      if (!request.is404) return done();
      const path = request.url.split('?')[0] ?? '';
      const allowed = new Set<string>();
      for (const entry of known.values())
        if (entry.pattern.test(path)) entry.methods.forEach((method) => allowed.add(method));
      if (allowed.size === 0 || allowed.has(request.method)) return done();
      const allow = [...allowed].sort().join(', ');
      void reply.header('allow', allow);
      sendProblem(reply, 405, `${request.method} is not allowed on ${path}; allowed: ${allow}`);
    });
  },
  { name: 'breakglass-method-not-allowed' },
);
