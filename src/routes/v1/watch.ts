import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import { WorkflowFailedError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import { NotFoundError, RefusedError } from '../../errors';
import { sendProblem } from '../../plugins/app/errors';
import { idParams, problemResponses } from '../../schemas/common';
import {
  caseListQuery,
  caseSchema,
  checksResultSchema,
  closeCaseBody,
  observationSchema,
  readinessSchema,
} from '../../schemas/watch';
import { createCaseCommands } from '../../watch/cases';
import { createDriftRepository } from '../../watch/drift-repository';
import { createWatchRepository } from '../../watch/watch-repository';
import type { DriftAccountResult } from '../../../activities/watch-drift';
import { accountDrills } from '../../../activities/watch-drills';
import { DEFAULT_WATCH } from '../../db/accounts-repository';
import { drillsCsv, lastSuccessful } from '../../watch/drills';
import { drillListSchema } from '../../schemas/watch';

const problems = problemResponses(400, 401, 403, 404, 409, 503);
const SIGNIN_WATCH = 'signin';

/** The watch's routes (issue 13): sign-ins of a request, unexplained-sign-in cases, drift checks and readiness. */
export const watchRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (plugin, { deps }) => {
  const app = plugin.withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', app.authenticate);
  const watch = createWatchRepository();
  const drift = createDriftRepository();
  const cases = createCaseCommands(deps);

  async function visibleAccount(principal: { id: string; isAdmin: boolean; isAuditor: boolean }, id: string) {
    const account = await deps.accounts.get(deps.pool, id);
    const member =
      account && [...account.requesters, ...account.approvers, ...account.reviewers].includes(principal.id);
    if (!account || !(principal.isAdmin || principal.isAuditor || member)) throw new NotFoundError(`account ${id}`);
    return account;
  }

  app.get(
    '/v1/requests/:id/signins',
    {
      schema: {
        tags: ['requests', 'watch'],
        summary: "Sign-ins of the account observed inside this request's release window (evidence for the review)",
        params: idParams,
        response: { 200: z.object({ items: z.array(observationSchema) }), ...problems },
      },
    },
    async (request) => {
      await deps.lifecycle.get(request.principal, request.params.id); // 404 (audited) unless the caller may read the request
      return { items: await watch.forRequest(deps.pool, request.params.id) };
    },
  );

  app.get(
    '/v1/cases',
    {
      schema: {
        tags: ['watch'],
        summary: 'Unexplained-sign-in cases visible to the caller, newest first',
        querystring: caseListQuery,
        response: { 200: z.object({ items: z.array(caseSchema) }), ...problems },
      },
    },
    async (request) => ({ items: await cases.list(request.principal, request.query) }),
  );

  app.get(
    '/v1/cases/:id',
    {
      schema: {
        tags: ['watch'],
        summary: 'One unexplained-sign-in case',
        params: idParams,
        response: { 200: caseSchema, ...problems },
      },
    },
    async (request) => (await cases.loadVisible(request.principal, request.params.id)).view,
  );

  app.post(
    '/v1/cases/:id/close',
    {
      schema: {
        tags: ['watch'],
        summary: 'Close an unexplained-sign-in case with an explanation (a reviewer of the account)',
        params: idParams,
        body: closeCaseBody,
        response: { 200: caseSchema, ...problems },
      },
    },
    async (request) => cases.close(request.principal, request.params.id, request.body.explanation),
  );

  app.post(
    '/v1/accounts/:id/checks',
    {
      schema: {
        tags: ['accounts', 'watch'],
        summary: 'Run the drift checks of an account now (admin)',
        params: idParams,
        response: { 200: checksResultSchema, ...problems },
      },
    },
    async (request, reply) => {
      const account = await visibleAccount(request.principal, request.params.id);
      if (!request.principal.isAdmin) {
        await deps.lifecycle.auditRefusal(
          request.principal,
          'account.check',
          { type: 'Forbidden', reason: 'only BreakGlass.Admin runs drift checks on demand' },
          { accountId: account.id },
        );
        throw new RefusedError('Forbidden', 'only BreakGlass.Admin runs drift checks on demand');
      }
      if (!account.entraObjectId)
        throw new RefusedError(
          'Conflict',
          `account ${account.id} has no entraObjectId; set it with PATCH /v1/accounts/${account.id}`,
        );
      try {
        const [result] = await deps.temporal.workflow.execute<
          (input: { accountId?: string }) => Promise<DriftAccountResult[]>
        >('driftCheck', {
          taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
          workflowId: `drift-check-${account.id}-${randomUUID()}`,
          args: [{ accountId: account.id }],
          workflowExecutionTimeout: '2 minutes',
        });
        if (!result) throw new NotFoundError(`account ${account.id}`);
        return { ...result, checks: result.checks };
      } catch (error) {
        if (error instanceof WorkflowFailedError)
          return sendProblem(
            reply,
            503,
            `the drift checks could not read Microsoft Graph: ${error.cause?.message ?? error.message}`,
          );
        throw error;
      }
    },
  );

  async function drillsOf(principal: { id: string; isAdmin: boolean; isAuditor: boolean }, id: string) {
    const account = await visibleAccount(principal, id);
    const items = await accountDrills(deps.pool, account);
    const interval = account.watch?.drillInterval ?? DEFAULT_WATCH.drillInterval;
    return {
      accountId: account.id,
      drillInterval: interval,
      lastSuccessfulAt: lastSuccessful(items)?.reviewedAt ?? null,
      items,
    };
  }

  app.get(
    '/v1/accounts/:id/drills',
    {
      schema: {
        tags: ['accounts', 'watch'],
        summary: 'Drills of the account with their evidence, newest first (JSON export)',
        params: idParams,
        response: { 200: drillListSchema, ...problems },
      },
    },
    async (request) => drillsOf(request.principal, request.params.id),
  );

  app.get(
    '/v1/accounts/:id/drills.csv',
    {
      schema: {
        tags: ['accounts', 'watch'],
        summary: 'Drill evidence as CSV for auditors',
        params: idParams,
        produces: ['text/csv'],
        response: { 200: z.string().describe('CSV, one row per drill, with a header row'), ...problems },
      },
    },
    async (request, reply) => {
      const { accountId, items } = await drillsOf(request.principal, request.params.id);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="drills-${accountId}.csv"`)
        .send(drillsCsv(items) as never); // a string with its content type is sent as it is
    },
  );

  app.get(
    '/v1/accounts/:id/readiness',
    {
      schema: {
        tags: ['accounts', 'watch'],
        summary: 'Whether the account is ready for an emergency: drift checks, last drill, last sign-in, watch health',
        params: idParams,
        response: { 200: readinessSchema, ...problems },
      },
    },
    async (request) => {
      const account = await visibleAccount(request.principal, request.params.id);
      const checks = await drift.forAccount(deps.pool, account.id);
      const health = await watch.health(deps.pool, SIGNIN_WATCH);
      return {
        accountId: account.id,
        ready: checks.length > 0 && checks.every((c) => c.passed),
        checks,
        lastDrill: (await accountDrills(deps.pool, account))[0] ?? null,
        lastSignIn: await watch.lastForAccount(deps.pool, account.id),
        watch: {
          degraded: health.degraded,
          consecutiveFailures: health.consecutiveFailures,
          lastSuccessAt: health.lastSuccessAt,
          lastError: health.lastError,
        },
      };
    },
  );
};
