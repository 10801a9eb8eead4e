import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sessionModes, sessionStatuses } from '../../domain/session-status.ts';
import type { AuthService } from '../../services/auth/auth-service.ts';
import type { SessionService } from '../../services/session-service.ts';
import { requireAuth } from '../auth-guard.ts';
import { presentPage, presentSession } from '../presenters.ts';
import { errorResponses, idParams, pageOf, pageQuery, sdkOptionsSchema, sessionSchema } from '../schemas.ts';

export function sessionRoutes(auth: AuthService, sessions: SessionService): FastifyPluginAsyncZod {
  return async (app) => {
    app.addHook('preHandler', requireAuth(auth));

    app.post('', {
      schema: {
        tags: ['sessions'],
        summary: 'Create a session (quota: concurrent live sessions per user)',
        security: [{ bearer: [] }],
        body: z
          .strictObject({
            name: z.string().min(1).max(200).optional(),
            mode: z.enum(sessionModes).optional(),
            sdk_options: sdkOptionsSchema.optional(),
            template_id: z.uuid({ error: 'must be a UUID' }).optional().describe("Start from this session template; the other fields override its values"),
          })
          .default({}),
        response: { 201: sessionSchema, ...errorResponses },
      },
      handler: async (request, reply) => reply.status(201).send(presentSession(await sessions.create(request.actor, request.body))),
    });

    app.get('', {
      schema: {
        tags: ['sessions'],
        summary: 'List sessions (own; all for admins)',
        security: [{ bearer: [] }],
        querystring: pageQuery.extend({ status: z.enum(sessionStatuses).optional(), mode: z.enum(sessionModes).optional() }),
        response: { 200: pageOf(sessionSchema), ...errorResponses },
      },
      handler: async (request) => {
        const { skip, limit, status, mode } = request.query;
        return presentPage(await sessions.list(request.actor, { status, mode }, { skip, limit }), presentSession);
      },
    });

    app.get('/storage-usage', {
      schema: {
        tags: ['sessions'],
        summary: 'Bytes your sessions hold on disk (working directories and archives) and your limit',
        security: [{ bearer: [] }],
        response: {
          200: z.object({ sessions: z.number(), working_directory_bytes: z.number(), archive_bytes: z.number(), report_bytes: z.number(), total_bytes: z.number(), limit_bytes: z.number() }),
          ...errorResponses,
        },
      },
      handler: async (request) => sessions.storageUsage(request.actor),
    });

    app.get('/:id', {
      schema: { tags: ['sessions'], summary: 'Read a session with its totals', security: [{ bearer: [] }], params: idParams, response: { 200: sessionSchema, ...errorResponses } },
      handler: async (request) => presentSession(await sessions.get(request.actor, request.params.id)),
    });

    app.delete('/:id', {
      schema: { tags: ['sessions'], summary: 'Terminate a session, stop its agent, archive its working directory', security: [{ bearer: [] }], params: idParams, response: { 204: z.null(), ...errorResponses } },
      handler: async (request, reply) => {
        await sessions.terminate(request.actor, request.params.id);
        return reply.status(204).send(null);
      },
    });
  };
}
