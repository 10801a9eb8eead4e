import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AgentSessionService } from '../../services/agents/agent-session-service.ts';
import type { AuthService } from '../../services/auth/auth-service.ts';
import type { SessionEventLog } from '../../services/session-events.ts';
import type { SessionService } from '../../services/session-service.ts';
import { requireAuth } from '../auth-guard.ts';
import { ClientStream, MAX_BUFFERED_BYTES } from './client-stream.ts';
import { errorBody } from '../errors.ts';

interface Deps {
  auth: AuthService;
  sessions: SessionService;
  agents: AgentSessionService;
  events: SessionEventLog;
}

/**
 * WS /api/v1/sessions/{id}/stream: every event of the session in seq order, to every watcher.
 * `?after_seq=N` (or a `resume` frame) first replays the stored events after N, then goes live,
 * with no gap and no duplicate.
 */
export function sessionStreamRoute({ auth, sessions, agents, events }: Deps): FastifyPluginAsyncZod {
  return async (app) => {
    const schema = {
      tags: ['agent'],
      summary: 'WebSocket stream of the session (token as ?token= or Authorization header)',
      params: z.object({ id: z.uuid() }),
      querystring: z.object({ token: z.string().optional(), after_seq: z.coerce.number().int().min(0).optional() }),
    };
    app.route({
      method: 'GET',
      url: '/:id/stream',
      schema,
      // Both run before the upgrade, so a bad token or someone else's session is a plain 401/404.
      preHandler: [requireAuth(auth, { allowQueryToken: true }), async (request) => void (await sessions.get(request.actor, (request.params).id))],
      handler: async (request, reply) =>
        reply.status(426).header('upgrade', 'websocket').send(errorBody(request, 'UPGRADE_REQUIRED', 'This endpoint speaks WebSocket: connect with an Upgrade request')),
      wsHandler: (socket, request) => {
        const { id } = request.params;
        const { after_seq } = request.query as { after_seq?: number };
        const stream = new ClientStream(socket, { sessionId: id, actor: request.actor, maxBufferedBytes: MAX_BUFFERED_BYTES }, agents, events, (error) => request.log.warn({ err: error }, 'websocket stream error'));
        stream.start(after_seq);
      },
    });
  };
}
