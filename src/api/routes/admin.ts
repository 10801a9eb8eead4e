import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { roles } from '../../domain/roles.ts';
import { sessionModes, sessionStatuses } from '../../domain/session-status.ts';
import type { AdminService } from '../../services/admin-service.ts';
import type { AuthService } from '../../services/auth/auth-service.ts';
import { requireAuth } from '../auth-guard.ts';
import { presentPage, presentSession, presentUser } from '../presenters.ts';
import { errorResponses, idParams, pageOf, pageQuery, sessionSchema, userSchema } from '../schemas.ts';

const security = [{ bearer: [] }];

export function adminRoutes(auth: AuthService, admin: AdminService): FastifyPluginAsyncZod {
  return async (app) => {
    app.addHook('preHandler', requireAuth(auth));

    app.get('/stats', {
      schema: {
        tags: ['admin'],
        summary: 'Users, sessions by status, storage used',
        security,
        response: { 200: z.object({ users: z.number(), sessions_total: z.number(), sessions_by_status: z.record(z.string(), z.number()), storage_bytes: z.number() }), ...errorResponses },
      },
      handler: async (request) => admin.stats(request.actor),
    });

    app.get('/users', {
      schema: { tags: ['admin'], summary: 'Every user', security, querystring: pageQuery, response: { 200: pageOf(userSchema), ...errorResponses } },
      handler: async (request) => presentPage(await admin.listUsers(request.actor, request.query), presentUser),
    });

    app.patch('/users/:id', {
      schema: {
        tags: ['admin'],
        summary: 'Change a user: role, active, limits',
        security,
        params: idParams,
        body: z.strictObject({
          role: z.enum(roles).optional(),
          is_active: z.boolean().optional(),
          max_concurrent_sessions: z.number().int().min(0).max(1000).optional(),
          max_storage_mb: z.number().int().min(0).max(10_000_000).optional(),
        }),
        response: { 200: userSchema, ...errorResponses },
      },
      handler: async (request) => presentUser(await admin.updateUser(request.actor, request.params.id, request.body)),
    });

    app.get('/sessions', {
      schema: {
        tags: ['admin'],
        summary: "Every user's sessions",
        security,
        querystring: pageQuery.extend({ status: z.enum(sessionStatuses).optional(), mode: z.enum(sessionModes).optional(), user_id: z.uuid().optional() }),
        response: { 200: pageOf(sessionSchema), ...errorResponses },
      },
      handler: async (request) => {
        const { skip, limit, status, mode, user_id } = request.query;
        return presentPage(await admin.listSessions(request.actor, { status, mode, userId: user_id }, { skip, limit }), presentSession);
      },
    });
  };
}
