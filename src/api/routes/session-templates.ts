import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sessionModes } from '../../domain/session-status.ts';
import type { AuthService } from '../../services/auth/auth-service.ts';
import type { TemplateService } from '../../services/template-service.ts';
import { requireAuth } from '../auth-guard.ts';
import { presentPage, presentSessionTemplate } from '../presenters.ts';
import { errorResponses, idParams, pageOf, pageQuery, sdkOptionsSchema, sessionTemplateSchema } from '../schemas.ts';

const security = [{ bearer: [] }];
const tags = ['session-templates'];

const templateFields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(10_000).nullable().optional(),
  category: z.string().trim().min(1).max(100).nullable().optional(),
  sdk_options: sdkOptionsSchema.optional(),
  default_mode: z.enum(sessionModes).optional(),
  is_public: z.boolean().optional(),
};

export function sessionTemplateRoutes(auth: AuthService, templates: TemplateService): FastifyPluginAsyncZod {
  return async (app) => {
    app.addHook('preHandler', requireAuth(auth));

    app.post('', {
      schema: { tags, summary: 'Create a session template', security, body: z.strictObject(templateFields), response: { 201: sessionTemplateSchema, ...errorResponses } },
      handler: async (request, reply) => reply.status(201).send(presentSessionTemplate(await templates.create(request.actor, request.body))),
    });

    app.get('', {
      schema: {
        tags,
        summary: "List templates: the caller's own and every public one",
        security,
        querystring: pageQuery.extend({ category: z.string().min(1).max(100).optional() }),
        response: { 200: pageOf(sessionTemplateSchema), ...errorResponses },
      },
      handler: async (request) => {
        const { skip, limit, category } = request.query;
        return presentPage(await templates.list(request.actor, { category }, { skip, limit }), presentSessionTemplate);
      },
    });

    app.get('/:id', {
      schema: { tags, summary: 'Read a template (own or public)', security, params: idParams, response: { 200: sessionTemplateSchema, ...errorResponses } },
      handler: async (request) => presentSessionTemplate(await templates.get(request.actor, request.params.id)),
    });

    app.patch('/:id', {
      schema: {
        tags,
        summary: 'Change a template (owner only)',
        security,
        params: idParams,
        body: z.strictObject(templateFields).partial(),
        response: { 200: sessionTemplateSchema, ...errorResponses },
      },
      handler: async (request) => presentSessionTemplate(await templates.update(request.actor, request.params.id, request.body)),
    });

    app.delete('/:id', {
      schema: { tags, summary: 'Delete a template (owner only); sessions started from it stay', security, params: idParams, response: { 204: z.null(), ...errorResponses } },
      handler: async (request, reply) => {
        await templates.delete(request.actor, request.params.id);
        return reply.status(204).send(null);
      },
    });
  };
}
