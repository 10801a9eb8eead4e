import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { reportFormats } from '../../domain/entities.ts';
import { reportFileName, reportFileTypes, type Report } from '../../domain/report.ts';
import type { AuthService } from '../../services/auth/auth-service.ts';
import type { ReportService } from '../../services/report-service.ts';
import { requireAuth } from '../auth-guard.ts';
import { presentPage } from '../presenters.ts';
import { errorResponses, idParams, pageOf, pageQuery } from '../schemas.ts';

const security = [{ bearer: [] }];
const uuid = z.uuid({ error: 'must be a UUID' });

const reportSchema = z.object({
  id: z.uuid(),
  user_id: z.uuid(),
  session_id: z.uuid().nullable(),
  execution_id: z.uuid().nullable(),
  format: z.enum(reportFormats),
  file_name: z.string(),
  file_size_bytes: z.number().int(),
  content_type: z.string(),
  options: z.object({ include_messages: z.boolean(), include_tool_calls: z.boolean(), include_metrics: z.boolean(), title: z.string() }),
  created_at: z.string(),
  download_url: z.string(),
});

const createBody = z
  .strictObject({
    session_id: uuid.optional().describe('The session to report on; give this or execution_id'),
    execution_id: uuid.optional().describe('The task execution to report on; give this or session_id'),
    format: z.enum(reportFormats),
    include_messages: z.boolean().default(true).describe('The conversation, message by message'),
    include_tool_calls: z.boolean().default(true).describe('A table of the tool calls'),
    include_metrics: z.boolean().default(true).describe('Messages, tool calls, tokens, cost, time'),
    title: z.string().trim().min(1).max(200).optional().describe('Defaults to "Session report: <name>" or "Task report: <task>"'),
  })
  .refine((body) => (body.session_id === undefined) !== (body.execution_id === undefined), { message: 'give exactly one of session_id and execution_id' });

const presentReport = (r: Report) => ({
  id: r.id,
  user_id: r.userId,
  session_id: r.sessionId,
  execution_id: r.executionId,
  format: r.format,
  file_name: reportFileName(r),
  file_size_bytes: r.fileSizeBytes,
  content_type: reportFileTypes[r.format].contentType,
  options: r.options,
  created_at: r.createdAt.toISOString(),
  download_url: `/api/v1/reports/${r.id}/download`,
});

export function reportRoutes(auth: AuthService, reports: ReportService): FastifyPluginAsyncZod {
  return async (app) => {
    app.addHook('preHandler', requireAuth(auth));

    app.post('', {
      schema: {
        tags: ['reports'],
        summary: 'Generate a report of a session or a task execution: json, markdown, html or pdf',
        security,
        body: createBody,
        response: { 201: reportSchema, ...errorResponses },
      },
      handler: async (request, reply) => reply.status(201).send(presentReport(await reports.create(request.actor, request.body))),
    });

    app.get('', {
      schema: {
        tags: ['reports'],
        summary: 'List reports, newest first (own; all for admins)',
        security,
        querystring: pageQuery.extend({ session_id: uuid.optional(), execution_id: uuid.optional() }),
        response: { 200: pageOf(reportSchema), ...errorResponses },
      },
      handler: async (request) => {
        const { skip, limit, session_id: sessionId, execution_id: executionId } = request.query;
        return presentPage(await reports.list(request.actor, { sessionId, executionId }, { skip, limit }), presentReport);
      },
    });

    app.get('/:id', {
      schema: { tags: ['reports'], summary: 'Read a report', security, params: idParams, response: { 200: reportSchema, ...errorResponses } },
      handler: async (request) => presentReport(await reports.get(request.actor, request.params.id)),
    });

    app.get('/:id/download', {
      schema: {
        tags: ['reports'],
        summary: "The report's file, as an attachment with its format's content type",
        security,
        params: idParams,
        response: { 200: z.unknown().describe('The file: application/json, text/markdown, text/html or application/pdf'), ...errorResponses },
      },
      handler: async (request, reply) => {
        const file = await reports.download(request.actor, request.params.id);
        void reply
          .header('content-type', file.contentType)
          .header('content-length', file.sizeBytes)
          .header('content-disposition', `attachment; filename="${file.fileName}"`)
          .header('x-content-type-options', 'nosniff')
          .header('cache-control', 'private, no-store');
        if (file.contentSecurityPolicy) void reply.header('content-security-policy', file.contentSecurityPolicy);
        return reply.send(file.stream);
      },
    });

    app.delete('/:id', {
      schema: { tags: ['reports'], summary: 'Delete a report and its file', security, params: idParams, response: { 204: z.null(), ...errorResponses } },
      handler: async (request, reply) => {
        await reports.delete(request.actor, request.params.id);
        return reply.status(204).send(null);
      },
    });
  };
}
