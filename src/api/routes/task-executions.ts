import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TaskExecution } from '../../domain/entities.ts';
import type { AuthService } from '../../services/auth/auth-service.ts';
import type { TaskExecutionService } from '../../services/task-execution-service.ts';
import { requireAuth } from '../auth-guard.ts';
import { limitByAddress } from '../rate-limit.ts';
import { presentPage } from '../presenters.ts';
import { errorResponses, idParams, pageOf, pageQuery } from '../schemas.ts';

const security = [{ bearer: [] }];

const variablesBody = z.strictObject({ variables: z.record(z.string(), z.unknown()).default({}) }).default({ variables: {} });

const executionSchema = z.object({
  id: z.uuid(),
  execution_id: z.uuid(),
  task_id: z.uuid(),
  session_id: z.uuid().nullable(),
  trigger: z.string(),
  variables: z.record(z.string(), z.unknown()),
  status: z.enum(['pending', 'running', 'completed', 'failed', 'cancelled']),
  report_id: z.uuid().nullable(),
  cost_usd: z.number(),
  duration_ms: z.number().nullable(),
  error_message: z.string().nullable(),
  scheduled_for: z.string().nullable().describe('The cron instant of a scheduled run'),
  deliveries: z
    .array(
      z.object({
        attempt: z.number().int(),
        event: z.string(),
        url: z.string(),
        status_code: z.number().int().nullable(),
        ok: z.boolean(),
        error: z.string().nullable(),
        duration_ms: z.number(),
        delivered_at: z.string(),
      }),
    )
    .describe('Every attempt to post the outcome to the task webhook'),
  created_at: z.string(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
});

const presentExecution = (e: TaskExecution) => ({
  id: e.id,
  execution_id: e.id,
  task_id: e.taskId,
  session_id: e.sessionId,
  trigger: e.trigger,
  variables: e.variables,
  status: e.status,
  report_id: e.reportId,
  cost_usd: e.costUsd,
  duration_ms: e.durationMs,
  error_message: e.errorMessage,
  scheduled_for: e.scheduledFor?.toISOString() ?? null,
  deliveries: e.deliveries,
  created_at: e.createdAt.toISOString(),
  started_at: e.startedAt?.toISOString() ?? null,
  completed_at: e.completedAt?.toISOString() ?? null,
});

/** Runs of tasks: `/tasks/{id}/execute`, `/tasks/{id}/executions` and `/task-executions/{id}`. */
export function taskExecutionRoutes(auth: AuthService, executions: TaskExecutionService): FastifyPluginAsyncZod {
  return async (app) => {
    app.addHook('preHandler', requireAuth(auth));

    app.post('/tasks/:id/execute', {
      schema: {
        tags: ['tasks'],
        summary: 'Run the task now: 202, then a job renders the prompt and sends it through a new non-interactive session',
        security,
        params: idParams,
        body: variablesBody,
        response: { 202: executionSchema, ...errorResponses },
      },
      handler: async (request, reply) => reply.status(202).send(presentExecution(await executions.execute(request.actor, request.params.id, request.body.variables))),
    });

    app.get('/tasks/:id/executions', {
      schema: { tags: ['tasks'], summary: 'Runs of the task, newest first', security, params: idParams, querystring: pageQuery, response: { 200: pageOf(executionSchema), ...errorResponses } },
      handler: async (request) => presentPage(await executions.listForTask(request.actor, request.params.id, request.query), presentExecution),
    });

    app.get('/task-executions/:id', {
      schema: { tags: ['tasks'], summary: 'One run: status, session, cost, duration, error', security, params: idParams, response: { 200: executionSchema, ...errorResponses } },
      handler: async (request) => presentExecution(await executions.get(request.actor, request.params.id)),
    });

    app.post('/task-executions/:id/cancel', {
      schema: { tags: ['tasks'], summary: 'Cancel a pending or running run', security, params: idParams, response: { 200: executionSchema, ...errorResponses } },
      handler: async (request) => presentExecution(await executions.cancel(request.actor, request.params.id)),
    });
  };
}

/**
 * `POST /tasks/{id}/trigger`: starts a run from outside (CI, another system) with the task's
 * trigger token instead of a user's JWT. The run belongs to the task's owner.
 */
export function taskTriggerRoutes(executions: TaskExecutionService): FastifyPluginAsyncZod {
  return async (app) => {
    app.post('/tasks/:id/trigger', {
      preHandler: limitByAddress,
      schema: {
        tags: ['tasks'],
        summary: 'Run the task with its trigger token (header X-Agentd-Trigger-Token, from POST /tasks/{id}/trigger-token): 202 like execute',
        params: idParams,
        headers: z.object({ 'x-agentd-trigger-token': z.string().max(200).optional() }),
        body: variablesBody,
        response: { 202: executionSchema, ...errorResponses },
      },
      handler: async (request, reply) => {
        const token = request.headers['x-agentd-trigger-token'] ?? '';
        return reply.status(202).send(presentExecution(await executions.trigger(request.params.id, token, request.body.variables)));
      },
    });
  };
}
