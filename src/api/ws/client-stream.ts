import type { WebSocket } from 'ws';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import type { SessionEvent } from '../../ports/event-bus.ts';
import type { AgentSessionService } from '../../services/agents/agent-session-service.ts';
import type { SessionEventLog } from '../../services/session-events.ts';

/** A client this far behind is dropped rather than let it hold the server's memory. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const HEARTBEAT_MS = 30_000;
const REPLAY_PAGE = 500;

const clientFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('query'), message: z.string().min(1).max(200_000) }),
  z.object({ type: z.literal('interrupt') }),
  z.object({ type: z.literal('ping') }),
  z.object({ type: z.literal('resume'), after_seq: z.number().int().min(0) }),
  z.object({ type: z.literal('permission_response'), request_id: z.string().min(1).max(100), decision: z.enum(['allow', 'deny']), message: z.string().max(2000).optional() }),
]);

/** One WebSocket client of a session's stream: replay, then live events in order, and its own frames. */
export class ClientStream {
  private lastSent = 0;
  private replaying = true;
  private readonly held: SessionEvent[] = [];
  private unsubscribe: (() => Promise<void>) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  private readonly sessionId: string;
  private readonly actor: Actor;
  private readonly maxBufferedBytes: number;

  constructor(
    private readonly socket: WebSocket,
    client: { sessionId: string; actor: Actor; maxBufferedBytes: number },
    private readonly agents: Pick<AgentSessionService, 'sendMessage' | 'interrupt' | 'answerPermission'>,
    private readonly events: Pick<SessionEventLog, 'subscribe' | 'replay'>,
    private readonly warn: (error: unknown) => void,
  ) {
    this.sessionId = client.sessionId;
    this.actor = client.actor;
    this.maxBufferedBytes = client.maxBufferedBytes;
  }

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
    if (this.socket.bufferedAmount > this.maxBufferedBytes) {
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
