import { EventEmitter } from 'node:events';
import type { EventBus, SessionEvent } from '../ports/event-bus.ts';

export class InProcessEventBus implements EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(event: SessionEvent): Promise<void> {
    this.emitter.emit(event.session_id, event);
  }

  async subscribe(sessionId: string, handler: (event: SessionEvent) => void) {
    this.emitter.on(sessionId, handler);
    return async () => void this.emitter.off(sessionId, handler);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
