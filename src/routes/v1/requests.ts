import { createHash } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import type { AppDeps } from '../../app-deps';
import { createIdempotencyRepository } from '../../db/idempotency-repository';
import { RefusedError } from '../../lifecycle/errors';
import { idParams, problemSchema } from '../../schemas/common';
import {
  cancelBody,
  closeBody,
  createRequestBody,
  decisionBody,
  idempotencyKeyHeader,
  listQuery,
  requestListSchema,
  requestSchema,
  revealSchema,
  reviewBody,
} from '../../schemas/request';
import { decodeCursor, encodeCursor } from './cursor';
import { loadVisible } from './request-access';

const problems = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 503: problemSchema };
const IDEMPOTENCY_WAIT_MS = 15_000;

export const requestRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (plugin, { deps }) => {
  const app = plugin.withTypeProvider<ZodTypeProvider>();
  const idempotency = createIdempotencyRepository();
  app.addHook('onRequest', app.authenticate);

  app.post(
    '/v1/requests',
    {
      schema: {
        tags: ['requests'],
        summary: 'Request emergency access to an account',
        headers: idempotencyKeyHeader,
        body: createRequestBody,
        response: { 200: requestSchema, 201: requestSchema, 422: problemSchema, ...problems },
      },
    },
    async (request, reply) => {
      const body = { ...request.body, incidentRef: request.body.incidentRef ?? null };
      const key = request.headers['idempotency-key'];
      if (!key) return reply.code(201).send(await deps.lifecycle.create(request.principal, body));

      const bodyHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
      // The holder of the key creates and records the request; if it fails it lets the key go.
      const createAsOwner = async () => {
        try {
          const created = await deps.lifecycle.create(request.principal, body);
          await idempotency.complete(deps.pool, request.principal.id, key, created.id);
          return reply.code(201).send(created);
        } catch (error) {
          await idempotency.release(deps.pool, request.principal.id, key);
          throw error;
        }
      };
      const claim = await idempotency.claim(deps.pool, request.principal.id, key, bodyHash);
      if (claim.owner) return createAsOwner();
      if (claim.bodyHash !== bodyHash) throw Object.assign(new RefusedError('Conflict', 'this Idempotency-Key was already used with a different body'), { statusCode: 422 });
      // A concurrent first attempt may still be creating: wait for its result.
      const deadline = Date.now() + IDEMPOTENCY_WAIT_MS;
      let requestId = claim.requestId;
      while (!requestId && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const again = await idempotency.claim(deps.pool, request.principal.id, key, bodyHash);
        // The first attempt failed and let the key go; this one creates.
        if (again.owner) return createAsOwner();
        requestId = again.requestId;
      }
      if (!requestId) throw new RefusedError('Conflict', 'a request with this Idempotency-Key is still being created; retry shortly');
      return reply.code(201).send(await deps.lifecycle.get(requestId));
    },
  );

  app.get(
    '/v1/requests',
    { schema: { tags: ['requests'], summary: 'Requests visible to the caller, newest first', querystring: listQuery, response: { 200: requestListSchema, ...problems } } },
    async (request) => {
      const { status, accountId, limit, cursor } = request.query;
      const principal = request.principal;
      const items = await deps.requests.list(deps.pool, {
        status,
        accountId,
        visibleTo: principal.isAdmin || principal.isAuditor ? null : principal.id,
        before: cursor ? decodeCursor(cursor) : undefined,
        limit: limit + 1,
      });
      const page = items.slice(0, limit);
      const last = page[page.length - 1];
      return { items: page, nextCursor: items.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
    },
  );

  app.get(
    '/v1/requests/:id',
    { schema: { tags: ['requests'], summary: 'A request with its timeline', params: idParams, response: { 200: requestSchema, ...problems } } },
    async (request) => (await loadVisible(deps, request, request.params.id, 'request.read')).view,
  );

  app.post(
    '/v1/requests/:id/approvals',
    { schema: { tags: ['requests'], summary: 'Approve or deny (approvers only)', params: idParams, body: decisionBody, response: { 200: requestSchema, ...problems } } },
    async (request) => {
      const action = request.body.decision === 'approve' ? 'request.approve' : 'request.deny';
      const loaded = await loadVisible(deps, request, request.params.id, action);
      return deps.lifecycle.decide(request.principal, request.params.id, request.body.decision, request.body.comment ?? null, loaded);
    },
  );

  app.post(
    '/v1/requests/:id/cancel',
    { schema: { tags: ['requests'], summary: 'Cancel a pending request (requester or admin)', params: idParams, body: cancelBody.optional(), response: { 200: requestSchema, ...problems } } },
    async (request) => {
      const loaded = await loadVisible(deps, request, request.params.id, 'request.cancel');
      return deps.lifecycle.cancel(request.principal, request.params.id, request.body?.reason ?? null, loaded);
    },
  );

  app.post(
    '/v1/requests/:id/reveal',
    {
      config: { rateLimit: { hook: 'preHandler', max: 10, timeWindow: '1 minute', keyGenerator: (request) => `reveal:${request.principal?.id ?? request.ip}` } },
      schema: { tags: ['requests'], summary: 'Reveal the released credential (requester only)', params: idParams, response: { 200: revealSchema, 429: problemSchema, ...problems } },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      const loaded = await loadVisible(deps, request, request.params.id, 'credential.reveal');
      return deps.lifecycle.reveal(request.principal, request.params.id, loaded);
    },
  );

  app.post(
    '/v1/requests/:id/close',
    { schema: { tags: ['requests'], summary: 'Close the session and re-seal (requester or admin)', params: idParams, body: closeBody, response: { 200: requestSchema, ...problems } } },
    async (request) => {
      const loaded = await loadVisible(deps, request, request.params.id, 'session.close');
      return deps.lifecycle.close(request.principal, request.params.id, request.body.summary, loaded);
    },
  );

  app.post(
    '/v1/requests/:id/review',
    { schema: { tags: ['requests'], summary: 'Record the post-use review (an independent reviewer)', params: idParams, body: reviewBody, response: { 200: requestSchema, ...problems } } },
    async (request) => {
      const loaded = await loadVisible(deps, request, request.params.id, 'review');
      return deps.lifecycle.review(request.principal, request.params.id, request.body, loaded);
    },
  );
};

