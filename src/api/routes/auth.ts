import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuthService } from '../../services/auth/auth-service.ts';
import { originOf, requireAuth } from '../auth-guard.ts';
import { limitByAddress } from '../rate-limit.ts';
import { presentUser } from '../presenters.ts';
import { errorResponses, userSchema } from '../schemas.ts';

const tokenPair = z.object({
  access_token: z.string(),
  refresh_token: z.string(),
  token_type: z.literal('bearer'),
  expires_in: z.number().int(),
});

const email = z.email().max(254);

export function authRoutes(auth: AuthService): FastifyPluginAsyncZod {
  return async (app) => {
    app.post('/register', {
      preHandler: limitByAddress,
      schema: {
        tags: ['auth'],
        summary: 'Create an account (role user)',
        body: z.strictObject({
          email,
          username: z.string().min(3).max(50).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
          password: z.string().min(8).max(256),
          full_name: z.string().max(200).optional(),
        }),
        response: { 201: userSchema, ...errorResponses },
      },
      handler: async (request, reply) => reply.status(201).send(presentUser(await auth.register(request.body, originOf(request)))),
    });

    app.post('/login', {
      preHandler: limitByAddress,
      schema: {
        tags: ['auth'],
        summary: 'Exchange credentials for tokens',
        body: z.object({ email: z.string().max(254), password: z.string().max(256) }),
        response: { 200: tokenPair, ...errorResponses },
      },
      handler: async (request) => auth.login(request.body.email, request.body.password, originOf(request)),
    });

    app.post('/refresh', {
      preHandler: limitByAddress,
      schema: {
        tags: ['auth'],
        summary: 'Rotate a refresh token (each can be used once)',
        body: z.object({ refresh_token: z.string().min(1).max(4096) }),
        response: { 200: tokenPair, ...errorResponses },
      },
      handler: async (request) => auth.refresh(request.body.refresh_token),
    });

    app.get('/me', {
      preHandler: requireAuth(auth),
      schema: { tags: ['auth'], summary: 'The current user', security: [{ bearer: [] }], response: { 200: userSchema, ...errorResponses } },
      handler: async (request) => presentUser(await auth.me(request.actor)),
    });
  };
}
