import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import type { AppDeps } from '../app-deps';
import { withTransaction } from '../db/pool';
import { RefusedError } from '../errors';
import { REFUSAL } from '../domain/lifecycle';
import { signInBody } from '../schemas/auth';
import {
  checkCsrf,
  clearSessionCookie,
  consoleOrigin,
  csrfTokenOf,
  sessionCookieOf,
  setSessionCookie,
} from './cookie-session';
import { createOidc, OidcUnavailableError, type PendingLogin } from './oidc';
import { consolePrincipal, safeReturnTo, type OidcIdentity } from './principal';

/**
 * The web console: static files (console/) at `/`, whose script does everything through the
 * JSON API (/v1/...) with the session cookie, plus the sign-in routes that set that cookie.
 * Client-side routes (/requests/<id> from an alert link, ...) answer the console's index.html.
 */

const CONSOLE_DIR = resolve(__dirname, '../../console');
export const PAGE_ROUTES = ['/', '/new', '/requests/:id', '/audit', '/accounts', '/me', '/signin'];
const LOGIN_COOKIE = '__Host-bg_login';
const hidden = { hide: true } as object;
const signInLimit = { rateLimit: { max: 300, timeWindow: '1 minute' } };

const pendingLogin = z.object({
  state: z.string().min(1).max(200),
  nonce: z.string().min(1).max(200),
  verifier: z.string().min(43).max(128),
  returnTo: z.string().max(210),
});

export const consoleRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  const { config } = deps;
  const { sessions, passkeys } = deps.auth;
  const oidc = createOidc(config);
  const indexHtml = readFileSync(join(CONSOLE_DIR, 'index.html'));
  const browserLib = dirname(createRequire(__filename).resolve('@simplewebauthn/browser'));

  await app.register(fastifyStatic, { root: join(CONSOLE_DIR, 'assets'), prefix: '/assets/', index: false });
  // The WebAuthn browser library, as its own ES modules, from the installed package (no build step, no CDN).
  await app.register(fastifyStatic, {
    root: resolve(browserLib, '../esm'),
    prefix: '/vendor/simplewebauthn/',
    index: false,
    decorateReply: false,
    allowedPath: (path) => path.endsWith('.js'),
  });

  const sendIndex = (_request: FastifyRequest, reply: FastifyReply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(indexHtml);
  for (const url of PAGE_ROUTES) app.get(url, { schema: hidden }, sendIndex);

  async function audit(actor: string, action: string, details: Record<string, unknown>) {
    await withTransaction(deps.pool, (tx) => deps.audit.append(tx, { actor, action, details }));
  }

  /** Where the OIDC identity becomes a principal: the same way its tokens would (roles trusted, or the admin's mapping). */
  const principalOf = (identity: OidcIdentity) =>
    consolePrincipal(config, identity, (issuer, subject) => deps.auth.mappings.resolve(deps.pool, issuer, subject));

  const toSignIn = (reply: FastifyReply, error: string) =>
    reply.code(303).header('location', `/signin?error=${error}`).send();

  app.get('/auth/login', { schema: hidden, config: signInLimit }, async (request, reply) => {
    if (!oidc) return toSignIn(reply, 'oidc_off');
    try {
      const { url, pending } = await oidc.start(safeReturnTo((request.query as { returnTo?: unknown }).returnTo));
      // Lax, not Strict: it must come back on the provider's redirect, a top-level navigation from its site.
      void reply.setCookie(LOGIN_COOKIE, Buffer.from(JSON.stringify(pending)).toString('base64url'), {
        path: '/',
        httpOnly: true,
        secure: true,
        sameSite: 'lax',
        maxAge: 600,
      });
      return reply.code(303).header('location', url).header('cache-control', 'no-store').send();
    } catch (error) {
      if (error instanceof OidcUnavailableError) {
        request.log.warn({ issuer: oidc.issuer }, 'OpenID provider unreachable for a console sign-in');
        return toSignIn(reply, 'oidc_unavailable');
      }
      throw error;
    }
  });

  app.get('/auth/callback', { schema: hidden, config: signInLimit }, async (request, reply) => {
    const raw = (request.cookies as Record<string, string | undefined>)[LOGIN_COOKIE];
    void reply.clearCookie(LOGIN_COOKIE, { path: '/', httpOnly: true, secure: true, sameSite: 'lax' });
    void reply.header('cache-control', 'no-store');
    if (!oidc) return toSignIn(reply, 'oidc_off');
    let pending: PendingLogin;
    try {
      pending = pendingLogin.parse(JSON.parse(Buffer.from(raw ?? '', 'base64url').toString('utf8')));
    } catch {
      return toSignIn(reply, 'login_expired');
    }
    let identity;
    try {
      // The URL the provider redirected to, as the redirect URI registered (the code and state are in its query).
      const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      identity = await oidc.finish(new URL(`${oidc.redirectUri}${query}`), pending);
    } catch (error) {
      // Never log the error itself: it may quote the code or a token.
      request.log.warn({ issuer: oidc.issuer, error: (error as Error).name }, 'console sign-in failed');
      if (error instanceof OidcUnavailableError) return toSignIn(reply, 'oidc_unavailable');
      await audit('anonymous', 'auth.refused', { reason: 'OpenID sign-in did not verify', issuer: oidc.issuer });
      return toSignIn(reply, 'login_failed');
    }
    const subject = await principalOf(identity);
    if (!subject) {
      await audit(`${identity.issuer}#${identity.subject}`.slice(0, 300), 'auth.refused', {
        reason: 'the identity is not mapped to a Breakglass principal',
      });
      return toSignIn(reply, 'unmapped');
    }
    const { token, session } = await withTransaction(deps.pool, async (tx) => {
      const created = await sessions.create(subject, ['oidc'], identity.authTime, {}, tx);
      await deps.audit.append(tx, {
        actor: subject.id,
        action: 'session.created',
        details: { sessionId: created.session.id, amr: ['oidc'], issuer: identity.issuer },
      });
      return created;
    });
    setSessionCookie(reply, token, Date.parse(session.expiresAt) - Date.now());
    return reply.code(303).header('location', safeReturnTo(pending.returnTo)).send();
  });

  /** Passkey sign-in for the console: the same verification as POST /v1/sessions/passkey, the session in the cookie. */
  app.post(
    '/auth/passkey',
    {
      schema: { ...hidden, body: signInBody },
      config: signInLimit,
      // Before the body is read: a sign-in started by another site would sign the browser in as someone else (login CSRF).
      onRequest: async (request) => {
        if (request.headers.origin !== consoleOrigin(request, config.CONSOLE_URL))
          throw new RefusedError(REFUSAL.forbidden, 'the Origin header is missing or is not the console');
      },
    },
    async (request, reply) => {
      const { token, session } = await passkeys.signIn(
        (request.body as { response: unknown }).response as AuthenticationResponseJSON,
      );
      setSessionCookie(reply, token, Date.parse(session.expiresAt) - Date.now());
      return reply.code(201).header('cache-control', 'no-store').send({ signedIn: true, principal: session.principal });
    },
  );

  /** Who is signed in, and the CSRF token the console's script sends with every change. */
  app.get('/auth/session', { schema: hidden }, async (request, reply) => {
    void reply.header('cache-control', 'no-store');
    const signedOut = { signedIn: false, oidc: Boolean(oidc), revealSeconds: config.CONSOLE_REVEAL_SECONDS };
    const token = sessionCookieOf(request);
    if (!token) return signedOut;
    try {
      const session = await sessions.authenticate(token);
      return {
        ...signedOut,
        signedIn: true,
        principal: session.principal,
        roles: session.roles,
        amr: session.amr,
        authTime: session.authTime,
        sessionId: session.id,
        expiresAt: session.expiresAt,
        csrfToken: csrfTokenOf(token),
      };
    } catch {
      clearSessionCookie(reply);
      return signedOut;
    }
  });

  app.post('/auth/logout', { schema: hidden }, async (request, reply) => {
    const token = sessionCookieOf(request);
    // Without the cookie (a cross-site form never carries it) there is nothing to end: answering
    // with a cleared cookie would let any site sign a responder out in the middle of an incident.
    if (!token) return reply.code(204).send();
    const session = await sessions.authenticate(token).catch(() => null);
    try {
      checkCsrf(request, token, config.CONSOLE_URL);
    } catch (error) {
      if (error instanceof RefusedError)
        await audit(session?.principal ?? 'anonymous', 'auth.refused', {
          reason: error.reason,
          path: '/auth/logout',
        });
      throw error;
    }
    if (session) {
      await withTransaction(deps.pool, async (tx) => {
        await sessions.revoke(session.id, session.principal, tx);
        await deps.audit.append(tx, {
          actor: session.principal,
          action: 'session.revoked',
          details: { sessionId: session.id, owner: session.principal, signedOut: true },
        });
      });
    }
    clearSessionCookie(reply);
    return reply.code(204).send();
  });
};
