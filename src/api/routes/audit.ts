import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditService } from '../../services/audit-service.ts';
import type { AuthService } from '../../services/auth/auth-service.ts';
import { requireAuth } from '../auth-guard.ts';
import { presentAudit, presentPage } from '../presenters.ts';
import { errorResponses, pageOf, pageQuery } from '../schemas.ts';

const auditSchema = z.object({
  id: z.number().int(),
  event_type: z.string(),
  category: z.string(),
  user_id: z.string().nullable(),
  resource_type: z.string().nullable(),
  resource_id: z.string().nullable(),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  created_at: z.string(),
});

export function auditRoutes(auth: AuthService, audit: AuditService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('', {
      preHandler: requireAuth(auth),
      schema: {
        tags: ['audit'],
        summary: 'Audit trail: your own events; admins see everyone\'s',
        security: [{ bearer: [] }],
        querystring: pageQuery.extend({
          user_id: z.uuid().optional(),
          event_type: z.string().max(100).optional(),
          category: z.enum(['authentication', 'authorization', 'session', 'task', 'tool', 'system']).optional(),
          since: z.coerce.date().optional(),
          until: z.coerce.date().optional(),
        }),
        response: { 200: pageOf(auditSchema), ...errorResponses },
      },
      handler: async (request) => {
        const { skip, limit, user_id, event_type, category, since, until } = request.query;
        const page = await audit.list(request.actor, { userId: user_id, eventType: event_type, category, since, until }, { skip, limit });
        return presentPage(page, presentAudit);
      },
    });
  };
}
