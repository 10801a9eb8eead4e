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
  // Each session's last seq, kept here so an event costs one write, not a round trip for a counter.
  private readonly lastSeq = new Map<string, number>();

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
    for (let attempt = 0; ; attempt++) {
      const seq = (this.lastSeq.get(sessionId) ?? (await this.store.sessionEvents.lastSeq(sessionId))) + 1;
      const event: SessionEvent = { ...payload, type, session_id: sessionId, seq, timestamp: this.clock.now().toISOString() };
      if (!(await this.store.sessionEvents.insert(sessionId, seq, event))) {
        // Another server wrote this session's events meanwhile: reload the last seq and go again.
        this.lastSeq.delete(sessionId);
        if (attempt < 3) continue;
        throw new Error(`Could not store an event of session ${sessionId}: its sequence numbers keep moving`);
      }
      this.lastSeq.set(sessionId, seq);
      await this.bus.publish(event);
      return event;
    }
  }

  /** Forgets a session's counter (it ended); the next emit reloads it from the database. */
  forget(sessionId: string) {
    this.lastSeq.delete(sessionId);
  }
}
