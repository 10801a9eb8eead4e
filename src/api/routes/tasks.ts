import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { reportFormats } from '../../domain/entities.ts';
import type { AuthService } from '../../services/auth/auth-service.ts';
import type { TaskService } from '../../services/task-service.ts';
import { requireAuth } from '../auth-guard.ts';
import { presentPage, presentTask } from '../presenters.ts';
import { errorResponses, idParams, notificationConfigSchema, pageOf, pageQuery, sdkOptionsSchema, taskSchema, toolListSchema } from '../schemas.ts';

const security = [{ bearer: [] }];
const tags = ['tasks'];

const taskFields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(10_000).nullable().optional(),
  prompt_template: z.string().min(1).max(100_000).describe('Liquid (Jinja-style) template: {{ var }}, {% if %}, {% for %}, filters, | default: "x"'),
  allowed_tools: toolListSchema.optional(),
  disallowed_tools: toolListSchema.optional(),
  sdk_options: sdkOptionsSchema.optional(),
  is_scheduled: z.boolean().optional(),
  schedule_cron: z.string().trim().min(1).max(200).nullable().optional().describe('Five-field cron (minute hour day month weekday) or @hourly, @daily, ...'),
  schedule_enabled: z.boolean().optional(),
  timezone: z.string().min(1).max(100).optional().describe('IANA time zone of the schedule; UTC by default'),
  generate_report: z.boolean().optional(),
  report_format: z.enum(reportFormats).optional(),
  notification_config: notificationConfigSchema.nullable().optional(),
  tags: z.array(z.string().trim().min(1).max(100)).max(50).optional(),
  is_active: z.boolean().optional(),
};

const booleanQuery = z.enum(['true', 'false']).transform((value) => value === 'true');

export function taskRoutes(auth: AuthService, tasks: TaskService): FastifyPluginAsyncZod {
  return async (app) => {
    app.addHook('preHandler', requireAuth(auth));

    app.post('', {
      schema: {
        tags,
        summary: 'Create a task; its template must parse and its schedule be valid (422 otherwise)',
        security,
        body: z.strictObject(taskFields),
        response: { 201: taskSchema, ...errorResponses },
      },
      handler: async (request, reply) => reply.status(201).send(presentTask(await tasks.create(request.actor, request.body))),
    });

    app.get('', {
      schema: {
        tags,
        summary: "List the caller's tasks (all for admins)",
        security,
        querystring: pageQuery.extend({ tag: z.string().min(1).max(100).optional(), is_active: booleanQuery.optional(), is_scheduled: booleanQuery.optional() }),
        response: { 200: pageOf(taskSchema), ...errorResponses },
      },
      handler: async (request) => {
        const { skip, limit, tag, is_active, is_scheduled } = request.query;
        return presentPage(await tasks.list(request.actor, { tag, isActive: is_active, isScheduled: is_scheduled }, { skip, limit }), presentTask);
      },
    });

    app.get('/:id', {
      schema: { tags, summary: 'Read a task with the variables its template needs', security, params: idParams, response: { 200: taskSchema, ...errorResponses } },
      handler: async (request) => presentTask(await tasks.get(request.actor, request.params.id)),
    });

    app.patch('/:id', {
      schema: { tags, summary: 'Change a task', security, params: idParams, body: z.strictObject(taskFields).partial(), response: { 200: taskSchema, ...errorResponses } },
      handler: async (request) => presentTask(await tasks.update(request.actor, request.params.id, request.body)),
    });

    app.delete('/:id', {
      schema: { tags, summary: 'Delete a task', security, params: idParams, response: { 204: z.null(), ...errorResponses } },
      handler: async (request, reply) => {
        await tasks.delete(request.actor, request.params.id);
        return reply.status(204).send(null);
      },
    });

    app.post('/:id/trigger-token', {
      schema: {
        tags,
        summary: 'A new trigger token for POST /tasks/{id}/trigger, replacing the last one; shown only in this response',
        security,
        params: idParams,
        response: { 201: z.object({ token: z.string(), header: z.string(), trigger_url: z.string() }), ...errorResponses },
      },
      handler: async (request, reply) => {
        const token = await tasks.issueTriggerToken(request.actor, request.params.id);
        return reply.status(201).send({ token, header: 'X-Agentd-Trigger-Token', trigger_url: `/api/v1/tasks/${request.params.id}/trigger` });
      },
    });

    app.delete('/:id/trigger-token', {
      schema: { tags, summary: 'Revoke the trigger token: POST /tasks/{id}/trigger answers 401 until a new one is issued', security, params: idParams, response: { 204: z.null(), ...errorResponses } },
      handler: async (request, reply) => {
        await tasks.revokeTriggerToken(request.actor, request.params.id);
        return reply.status(204).send(null);
      },
    });

    app.post('/:id/render', {
      schema: {
        tags,
        summary: 'Render the prompt with variables, without running anything (422 TEMPLATE_VARIABLE_MISSING names a missing one)',
        security,
        params: idParams,
        body: z.strictObject({ variables: z.record(z.string().min(1).max(200), z.unknown()).default({}) }).default({ variables: {} }),
        response: { 200: z.object({ prompt: z.string() }), ...errorResponses },
      },
      handler: async (request) => ({ prompt: await tasks.render(request.actor, request.params.id, request.body.variables) }),
    });
  };
}
