import type { EventBus, SessionEvent } from '../ports/event-bus.ts';
import type { Store } from '../ports/repositories.ts';
import type { Clock } from '../ports/clock.ts';

/**
 * A session's event stream: each event gets the next sequence number, is stored, and only then
 * published, so a client that reconnects can replay what it missed from the database.
 */
export class SessionEventLog {
  // Emits of one session run one after another, so events are published in sequence order.
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly clock: Clock,
  ) {}

  emit(sessionId: string, type: string, payload: Record<string, unknown> = {}): Promise<SessionEvent> {
    const previous = this.chains.get(sessionId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.write(sessionId, type, payload));
    this.chains.set(sessionId, next);
    void next.finally(() => {
      if (this.chains.get(sessionId) === next) this.chains.delete(sessionId);
    }).catch(() => undefined);
    return next;
  }

  replay(sessionId: string, afterSeq: number, limit = 1000): Promise<SessionEvent[]> {
    return this.store.sessionEvents.listAfter(sessionId, afterSeq, limit) as Promise<SessionEvent[]>;
  }

  subscribe(sessionId: string, handler: (event: SessionEvent) => void) {
    return this.bus.subscribe(sessionId, handler);
  }

  private async write(sessionId: string, type: string, payload: Record<string, unknown>): Promise<SessionEvent> {
    const event = await this.store.transaction(async (repos) => {
      const seq = await repos.sessions.nextSeq(sessionId);
      const event: SessionEvent = { ...payload, type, session_id: sessionId, seq, timestamp: this.clock.now().toISOString() };
      await repos.sessionEvents.insert(sessionId, seq, event);
      return event;
    });
    await this.bus.publish(event);
    return event;
  }
}
