import { Redis } from 'ioredis';
import type { EventBus, SessionEvent } from '../ports/event-bus.ts';

const channelOf = (sessionId: string) => `agentd:session:${sessionId}`;

/** Session events over Redis pub/sub, so a client on any server sees a session run on another. */
export class RedisEventBus implements EventBus {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly handlers = new Map<string, Set<(event: SessionEvent) => void>>();

  constructor(url: string, onError: (error: Error) => void) {
    this.publisher = new Redis(url, { maxRetriesPerRequest: 2 });
    this.subscriber = new Redis(url, { maxRetriesPerRequest: 2 });
    // ioredis reconnects by itself; without a listener every failed attempt is an unhandled error.
    this.publisher.on('error', onError);
    this.subscriber.on('error', onError);
    this.subscriber.on('message', (channel: string, payload: string) => {
      const handlers = this.handlers.get(channel);
      if (!handlers) return;
      const event = JSON.parse(payload) as SessionEvent;
      for (const handler of handlers) handler(event);
    });
  }

  async publish(event: SessionEvent): Promise<void> {
    await this.publisher.publish(channelOf(event.session_id), JSON.stringify(event));
  }

  async subscribe(sessionId: string, handler: (event: SessionEvent) => void) {
    const channel = channelOf(sessionId);
    let handlers = this.handlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.handlers.set(channel, handlers);
      await this.subscriber.subscribe(channel);
    }
    handlers.add(handler);
    return async () => {
      handlers.delete(handler);
      if (handlers.size === 0 && this.handlers.get(channel) === handlers) {
        this.handlers.delete(channel);
        await this.subscriber.unsubscribe(channel);
      }
    };
  }

  async close(): Promise<void> {
    this.handlers.clear();
    await Promise.all([this.publisher.quit(), this.subscriber.quit()]).catch(() => undefined);
  }
}
