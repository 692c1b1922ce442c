import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import type { Passkey } from '../../auth/passkeys-repository';
import { enrolBody, passkeyQuery, passkeySchema, webauthnOptions } from '../../schemas/auth';
import { passkeyIdParams, problemResponses } from '../../schemas/common';

const problems = problemResponses(400, 401, 403, 404, 409, 503);

/** Public fields only: the stored public key and counter stay inside the service. */
const view = ({ publicKey: _publicKey, counter: _counter, transports: _transports, ...rest }: Passkey) => rest;

/** Enrolment by a signed-in person, confirmation by another admin, revocation by the owner or an admin. */
export const passkeyRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (plugin, { deps }) => {
  const app = plugin.withTypeProvider<ZodTypeProvider>();
  const { passkeys } = deps.auth;
  app.addHook('onRequest', app.authenticate);

  app.post(
    '/v1/passkeys/registration-options',
    {
      schema: {
        tags: ['passkeys'],
        summary: 'Start enrolling a passkey: WebAuthn creation options (resident key and user verification required)',
        response: { 200: webauthnOptions, ...problems },
      },
    },
    async (request) => ({ ...(await passkeys.registrationOptions(request.principal)) }),
  );

  app.post(
    '/v1/passkeys',
    {
      schema: {
        tags: ['passkeys'],
        summary: 'Finish enrolling: the passkey is pending until an admin other than its owner confirms it',
        body: enrolBody,
        response: { 201: passkeySchema, ...problems },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          view(
            await passkeys.enrol(
              request.principal,
              request.body.name,
              request.body.response as RegistrationResponseJSON,
            ),
          ),
        ),
  );

  app.get(
    '/v1/passkeys',
    {
      schema: {
        tags: ['passkeys'],
        summary: "Your passkeys; admins see anyone's (?principal=, ?status=pending to confirm)",
        querystring: passkeyQuery,
        response: { 200: z.object({ items: z.array(passkeySchema) }), ...problems },
      },
    },
    async (request) => {
      const { principal } = request;
      const filter = principal.isAdmin ? request.query : { ...request.query, principal: principal.id };
      return { items: (await passkeys.list(filter)).map(view) };
    },
  );

  app.post(
    '/v1/passkeys/:id/confirm',
    {
      schema: {
        tags: ['passkeys'],
        summary: 'Confirm a pending passkey (admin, not its owner)',
        params: passkeyIdParams,
        response: { 200: passkeySchema, ...problems },
      },
    },
    async (request) => view(await passkeys.confirm(request.principal, request.params.id)),
  );

  app.post(
    '/v1/passkeys/:id/revoke',
    {
      schema: {
        tags: ['passkeys'],
        summary: 'Revoke a passkey (owner or admin); the sessions it opened end too',
        params: passkeyIdParams,
        response: { 200: passkeySchema, ...problems },
      },
    },
    async (request) => view(await passkeys.revoke(request.principal, request.params.id)),
  );
};
