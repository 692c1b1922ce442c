import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import type { AppDeps } from '../../app-deps';
import { idParams, problemResponses, problemSchema } from '../../schemas/common';
import {
  cancelBody,
  closeBody,
  createRequestBody,
  decisionBody,
  idempotencyKeyHeader,
  listQuery,
  requestActionsSchema,
  requestListSchema,
  requestSchema,
  revealSchema,
  reviewBody,
} from '../../schemas/request';
import { requestBody } from './request-body';
import type { RequestView } from '../../domain/request';
import { decodeCursor, encodeCursor } from './cursor';

const problems = problemResponses(400, 401, 403, 404, 409, 503);

/** Routes parse, call one lifecycle command, and shape the reply; the rules live in the commands. */
export const requestRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (plugin, { deps }) => {
  const app = plugin.withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', app.authenticate);

  app.post(
    '/v1/requests',
    {
      schema: {
        tags: ['requests'],
        summary: 'Request emergency access to an account',
        description:
          'With an Idempotency-Key, every attempt with that key (concurrent, or a retry after a timeout or crash) answers with the one request the key created. The key is bound to the body it was first used with: the same key with another body is 422.',
        headers: idempotencyKeyHeader,
        body: createRequestBody,
        response: { 201: requestSchema, 422: problemSchema, ...problems },
      },
    },
    async (request, reply) => {
      const body = { ...request.body, incidentRef: request.body.incidentRef ?? null };
      return reply
        .code(201)
        .send(await deps.lifecycle.create(request.principal, body, request.headers['idempotency-key']));
    },
  );

  app.get(
    '/v1/requests',
    {
      schema: {
        tags: ['requests'],
        summary: 'Requests visible to the caller, newest first',
        querystring: listQuery,
        response: { 200: requestListSchema, ...problems },
      },
    },
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
    {
      schema: {
        tags: ['requests'],
        summary: 'A request with its timeline',
        params: idParams,
        response: { 200: requestSchema, ...problems },
      },
    },
    // The hottest read: its answer is rendered once per view, in schema order, not checked again
    // (request-body.ts). Fastify sends bytes as they are; the type provider knows only objects.
    async (request, reply) => {
      const body = requestBody(await deps.lifecycle.get(request.principal, request.params.id));
      return reply.type('application/json; charset=utf-8').send(body as unknown as RequestView);
    },
  );

  app.get(
    '/v1/requests/:id/actions',
    {
      schema: {
        tags: ['requests'],
        summary: 'What the caller may do on this request now, by the rules the actions apply; otherwise why not',
        params: idParams,
        response: { 200: requestActionsSchema, ...problems },
      },
    },
    async (request) => {
      const actions = await deps.lifecycle.actions(request.principal, request.params.id);
      return Object.fromEntries(
        Object.entries(actions).map(([name, refusal]) => [
          name,
          { allowed: !refusal, refusal: refusal?.type ?? null, reason: refusal?.reason ?? null },
        ]),
      ) as Record<
        keyof typeof actions,
        { allowed: boolean; refusal: 'Forbidden' | 'Conflict' | null; reason: string | null }
      >;
    },
  );

  app.post(
    '/v1/requests/:id/approvals',
    {
      schema: {
        tags: ['requests'],
        summary: 'Approve or deny (approvers only)',
        params: idParams,
        body: decisionBody,
        response: { 200: requestSchema, ...problems },
      },
    },
    async (request) => {
      return deps.lifecycle.decide(
        request.principal,
        request.params.id,
        request.body.decision,
        request.body.comment ?? null,
      );
    },
  );

  app.post(
    '/v1/requests/:id/cancel',
    {
      schema: {
        tags: ['requests'],
        summary: 'Cancel a pending request (requester or admin)',
        params: idParams,
        body: cancelBody.optional(),
        response: { 200: requestSchema, ...problems },
      },
    },
    async (request) => {
      return deps.lifecycle.cancel(request.principal, request.params.id, request.body?.reason ?? null);
    },
  );

  app.post(
    '/v1/requests/:id/reveal',
    {
      config: {
        rateLimit: {
          hook: 'preHandler',
          max: 10,
          timeWindow: '1 minute',
          keyGenerator: (request) => `reveal:${request.principal?.id ?? request.ip}`,
        },
      },
      schema: {
        tags: ['requests'],
        summary: 'Reveal the released credential (requester only)',
        params: idParams,
        response: { 200: revealSchema, 429: problemSchema, ...problems },
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      return deps.lifecycle.reveal(request.principal, request.params.id);
    },
  );

  app.post(
    '/v1/requests/:id/close',
    {
      schema: {
        tags: ['requests'],
        summary: 'Close the session and re-seal (requester or admin)',
        params: idParams,
        body: closeBody,
        response: { 200: requestSchema, ...problems },
      },
    },
    async (request) => {
      return deps.lifecycle.close(request.principal, request.params.id, request.body.summary);
    },
  );

  app.post(
    '/v1/requests/:id/review',
    {
      schema: {
        tags: ['requests'],
        summary: 'Record the post-use review (an independent reviewer)',
        params: idParams,
        body: reviewBody,
        response: { 200: requestSchema, ...problems },
      },
    },
    async (request) => {
      return deps.lifecycle.review(request.principal, request.params.id, request.body);
    },
  );
};
