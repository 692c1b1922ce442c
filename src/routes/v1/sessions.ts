import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import type { Session } from '../../auth/sessions';
import { withTransaction } from '../../db/pool';
import { NotFoundError } from '../../errors';
import { signedInSchema, sessionQuery, sessionSchema, signInBody, webauthnOptions } from '../../schemas/auth';
import { idParams, problemResponses } from '../../schemas/common';

const problems = problemResponses(400, 401, 403, 404, 409, 429, 503);

// Sign-in routes are open to anyone, so each is rate-limited per address.
const signInLimit = { rateLimit: { max: 300, timeWindow: '1 minute' } };

/** Sign-in by passkey, and the service's own sessions: list yours, revoke yours (admins: anyone's). */
export const sessionRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (plugin, { deps }) => {
  const app = plugin.withTypeProvider<ZodTypeProvider>();
  const { sessions, passkeys } = deps.auth;

  const view = (session: Session, currentId?: string) => ({
    id: session.id,
    principal: session.principal,
    amr: session.amr,
    authTime: session.authTime,
    passkeyId: session.passkeyId,
    createdAt: session.createdAt,
    lastSeenAt: session.lastSeenAt,
    expiresAt: session.expiresAt,
    idleExpiresAt: new Date(
      Math.min(Date.parse(session.lastSeenAt) + sessions.idleMs, Date.parse(session.expiresAt)),
    ).toISOString(),
    revokedAt: session.revokedAt,
    current: session.id === currentId,
  });

  app.post(
    '/v1/sessions/passkey/options',
    {
      config: signInLimit,
      schema: {
        tags: ['sessions'],
        security: [],
        summary: 'Start a passkey sign-in: WebAuthn request options with a single-use challenge (5 minutes)',
        response: { 200: webauthnOptions, ...problems },
      },
    },
    async () => ({ ...(await passkeys.authenticationOptions()) }),
  );

  app.post(
    '/v1/sessions/passkey',
    {
      config: signInLimit,
      schema: {
        tags: ['sessions'],
        security: [],
        summary: 'Finish a passkey sign-in (discoverable credential): a session with amr ["passkey"]',
        body: signInBody,
        response: { 201: signedInSchema, ...problems },
      },
    },
    async (request, reply) => {
      const { token, session } = await passkeys.signIn(request.body.response as AuthenticationResponseJSON);
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ token, session: view(session, session.id) });
    },
  );

  await app.register(async (scoped) => {
    const authed = scoped.withTypeProvider<ZodTypeProvider>();
    authed.addHook('onRequest', authed.authenticate);

    authed.get(
      '/v1/sessions',
      {
        schema: {
          tags: ['sessions'],
          summary: "Your live sessions (admins: ?principal= for anyone's)",
          querystring: sessionQuery,
          response: { 200: z.object({ items: z.array(sessionSchema) }), ...problems },
        },
      },
      async (request) => {
        const { principal } = request;
        const whose = request.query.principal && principal.isAdmin ? request.query.principal : principal.id;
        return { items: (await sessions.list(whose)).map((session) => view(session, principal.sessionId)) };
      },
    );

    authed.delete(
      '/v1/sessions/:id',
      {
        schema: {
          tags: ['sessions'],
          summary: "Revoke a session: your own, or anyone's as admin; effective on the next call",
          params: idParams,
          response: { 200: sessionSchema, ...problems },
        },
      },
      async (request) => {
        const { principal } = request;
        const found = await sessions.get(request.params.id);
        if (!found || (found.principal !== principal.id && !principal.isAdmin)) {
          await deps.lifecycle.auditRefusal(
            principal,
            'session.revoke',
            { type: 'Forbidden', reason: 'no such session of the caller (answered 404)' },
            {},
          );
          throw new NotFoundError(`session ${request.params.id}`);
        }
        await withTransaction(deps.pool, async (tx) => {
          const revoked = await sessions.revoke(found.id, principal.id, tx);
          await deps.audit.append(tx, {
            actor: principal.id,
            action: 'session.revoked',
            details: { sessionId: found.id, owner: found.principal, alreadyRevoked: !revoked },
          });
        });
        return view((await sessions.get(found.id))!, principal.sessionId);
      },
    );
  });
};
