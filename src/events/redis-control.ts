import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ControlBus, ControlMessage, ControlReply } from '../ports/control-bus.ts';
import { messageOf } from '../domain/errors.ts';

const requests = (runnerId: string) => `agentd:control:${runnerId}`;
const replies = (runnerId: string) => `agentd:control-reply:${runnerId}`;

interface Envelope {
  id: string;
  from: string;
  message?: ControlMessage;
  reply?: ControlReply;
}

/** Control requests over Redis pub/sub: one channel per server for requests, one for its replies. */
export class RedisControlBus implements ControlBus {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly waiting = new Map<string, (reply: ControlReply | undefined) => void>();
  private handler: ((message: ControlMessage) => Promise<ControlReply>) | undefined;

  constructor(
    url: string,
    private readonly runnerId: string,
    private readonly onError: (error: Error) => void,
    private readonly replyTimeoutMs = 3000,
  ) {
    this.publisher = new Redis(url, { maxRetriesPerRequest: 2 });
    this.subscriber = new Redis(url, { maxRetriesPerRequest: 2 });
    this.publisher.on('error', onError);
    this.subscriber.on('error', onError);
    this.subscriber.on('message', (channel: string, payload: string) => void this.received(channel, payload));
    this.subscriber.on('ready', () => this.subscribe());
  }

  /** Does not wait for Redis: the channels are subscribed whenever the connection is (again) ready. */
  async serve(handler: (message: ControlMessage) => Promise<ControlReply>): Promise<void> {
    this.handler = handler;
    this.subscribe();
  }

  async send(runnerId: string, message: ControlMessage): Promise<ControlReply | undefined> {
    const id = randomUUID();
    const reply = new Promise<ControlReply | undefined>((resolve) => {
      const timer = setTimeout(() => this.waiting.get(id)?.(undefined), this.replyTimeoutMs);
      this.waiting.set(id, (answer) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(answer);
      });
    });
    const listeners = await this.publisher.publish(requests(runnerId), JSON.stringify({ id, from: this.runnerId, message } satisfies Envelope));
    // Nobody listens on that channel: that server is gone, and no reply will come.
    if (listeners === 0) this.waiting.get(id)?.(undefined);
    return reply;
  }

  async close(): Promise<void> {
    this.handler = undefined;
    await Promise.all([this.publisher.quit(), this.subscriber.quit()]).catch(() => undefined);
  }

  private subscribe() {
    if (this.handler) this.subscriber.subscribe(requests(this.runnerId), replies(this.runnerId)).catch((error: unknown) => this.onError(error as Error));
  }

  private async received(channel: string, payload: string) {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload) as Envelope;
    } catch (error) {
      this.onError(error as Error);
      return;
    }
    if (channel === replies(this.runnerId)) {
      if (envelope.reply) this.waiting.get(envelope.id)?.(envelope.reply);
      return;
    }
    if (!this.handler || !envelope.message) return;
    const reply = await this.handler(envelope.message).catch((error: unknown): ControlReply => ({ ok: false, code: 'AGENT_ERROR', message: messageOf(error) }));
    await this.publisher.publish(replies(envelope.from), JSON.stringify({ id: envelope.id, from: this.runnerId, reply } satisfies Envelope)).catch((error: unknown) => this.onError(error as Error));
  }
}
