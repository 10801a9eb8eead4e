import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.ts';
import type { Actor } from '../domain/roles.ts';
import type { AuthService } from '../services/auth/auth-service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
  }
}

export const originOf = (request: FastifyRequest) => ({ ip: request.ip, userAgent: request.headers['user-agent'] });

function bearerToken(request: FastifyRequest, allowQueryToken: boolean): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const [scheme, token] = header.split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) throw new DomainError('INVALID_TOKEN', 'Authorization header must be "Bearer <token>"');
    return token;
  }
  const query = request.query as Record<string, unknown> | undefined;
  return allowQueryToken && typeof query?.token === 'string' ? query.token : undefined;
}

/**
 * A preHandler that resolves the caller or fails with 401, then counts the request against the
 * caller's rate limits (429). Browsers cannot set headers on WebSockets, so those may pass ?token=.
 */
export function requireAuth(auth: AuthService, options: { allowQueryToken?: boolean } = {}) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const token = bearerToken(request, options.allowQueryToken ?? false);
    if (!token) throw new DomainError('UNAUTHENTICATED', 'Authentication required');
    request.actor = await auth.authenticate(token, originOf(request));
    await request.server.rateGate.admitUser(request.actor.userId, reply);
  };
}
