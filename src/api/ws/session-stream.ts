import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import type { SessionEvent } from '../../ports/event-bus.ts';
import type { AgentSessionService } from '../../services/agents/agent-session-service.ts';
import type { AuthService } from '../../services/auth/auth-service.ts';
import type { SessionEventLog } from '../../services/session-events.ts';
import type { SessionService } from '../../services/session-service.ts';
import { requireAuth } from '../auth-guard.ts';
import { errorBody } from '../errors.ts';

/** A client this far behind is dropped rather than let it hold the server's memory. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const HEARTBEAT_MS = 30_000;
const REPLAY_PAGE = 500;

const clientFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('query'), message: z.string().min(1).max(200_000) }),
  z.object({ type: z.literal('interrupt') }),
  z.object({ type: z.literal('ping') }),
  z.object({ type: z.literal('resume'), after_seq: z.number().int().min(0) }),
  z.object({ type: z.literal('permission_response'), request_id: z.string().min(1).max(100), decision: z.enum(['allow', 'deny']), message: z.string().max(2000).optional() }),
]);

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
        const stream = new ClientStream(socket, id, request.actor, agents, events, (error) => request.log.warn({ err: error }, 'websocket stream error'));
        stream.start(after_seq);
      },
    });
  };
}

class ClientStream {
  private lastSent = 0;
  private replaying = true;
  private readonly held: SessionEvent[] = [];
  private unsubscribe: (() => Promise<void>) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly sessionId: string,
    private readonly actor: Actor,
    private readonly agents: AgentSessionService,
    private readonly events: SessionEventLog,
    private readonly warn: (error: unknown) => void,
  ) {}

  start(afterSeq: number | undefined) {
    this.socket.on('message', (data: Buffer) => void this.onFrame(data.toString('utf8')).catch((error: unknown) => this.warn(error)));
    this.socket.on('close', () => void this.stop());
    this.heartbeat = setInterval(() => this.socket.ping(), HEARTBEAT_MS).unref();
    void this.attach(afterSeq).catch((error: unknown) => {
      this.warn(error);
      this.socket.close(1011, 'stream failed');
    });
  }

  private async attach(afterSeq: number | undefined) {
    // Subscribe first and hold live events, so nothing published during the replay is lost.
    this.unsubscribe = await this.events.subscribe(this.sessionId, (event) => (this.replaying ? this.held.push(event) : this.send(event)));
    if (afterSeq !== undefined) await this.replayFrom(afterSeq);
    else this.replaying = false;
  }

  private async replayFrom(afterSeq: number) {
    this.replaying = true;
    this.lastSent = afterSeq;
    for (;;) {
      const page = await this.events.replay(this.sessionId, this.lastSent, REPLAY_PAGE);
      for (const event of page) this.send(event);
      if (page.length < REPLAY_PAGE) break;
    }
    for (const event of this.held.splice(0)) this.send(event);
    this.replaying = false;
  }

  private send(event: SessionEvent) {
    if (event.seq <= this.lastSent || this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.socket.close(1013, 'client too slow: reconnect with after_seq');
      return;
    }
    this.lastSent = event.seq;
    this.socket.send(JSON.stringify(event));
  }

  /** Replies to one client only; they carry the last seq this client has seen. */
  private reply(type: string, fields: Record<string, unknown> = {}) {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify({ type, session_id: this.sessionId, seq: this.lastSent, ...fields }));
  }

  private async onFrame(raw: string) {
    let parsed;
    try {
      parsed = clientFrame.safeParse(JSON.parse(raw));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) return this.reply('error', { error_code: 'VALIDATION_ERROR', detail: 'Frames are JSON: {type: query|interrupt|ping|resume|permission_response, ...}' });
    const frame = parsed.data;
    try {
      switch (frame.type) {
        case 'ping':
          return this.reply('pong');
        case 'resume':
          return await this.replayFrom(frame.after_seq);
        case 'permission_response':
          await this.agents.answerPermission(this.actor, this.sessionId, frame.request_id, frame);
          return;
        case 'interrupt':
          await this.agents.interrupt(this.actor, this.sessionId);
          return;
        case 'query':
          // The turn's own events (including its errors) arrive through the stream.
          await this.agents.sendMessage(this.actor, this.sessionId, frame.message).catch((error: unknown) => {
            if (error instanceof DomainError && ['AGENT_ERROR', 'MODEL_ERROR', 'TURN_INTERRUPTED'].includes(error.code)) return;
            throw error;
          });
          return;
      }
    } catch (error) {
      if (error instanceof DomainError) return this.reply('error', { error_code: error.code, detail: error.message });
      this.warn(error);
      return this.reply('error', { error_code: 'INTERNAL_ERROR', detail: 'Internal server error' });
    }
  }

  private async stop() {
    clearInterval(this.heartbeat);
    await this.unsubscribe?.();
  }
}
