import { EventEmitter } from 'node:events';
import { expect, test } from 'vitest';
import { ClientStream } from '../../src/api/ws/client-stream.ts';
import type { SessionEvent } from '../../src/ports/event-bus.ts';

/** A WebSocket as ClientStream uses it: what was sent, what closed it, and a send buffer we set. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  sent: any[] = [];
  closed: { code: number; reason: string } | undefined;
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code: number, reason: string) {
    this.closed = { code, reason };
    this.readyState = 3;
  }
  ping() {}
}

function stream(socket: FakeSocket, maxBufferedBytes: number) {
  let publish: (event: SessionEvent) => void = () => undefined;
  const events = {
    subscribe: async (_id: string, handler: (event: SessionEvent) => void) => {
      publish = handler;
      return async () => undefined;
    },
    replay: async () => [],
  };
  const agents = new Proxy({}, { get: () => () => Promise.reject(new Error('no agent call expected')) }) as any;
  const client = new ClientStream(socket as any, { sessionId: 's1', actor: { userId: 'u1', role: 'user' }, maxBufferedBytes }, agents, events, () => undefined);
  client.start(undefined);
  return { publish: (seq: number) => publish({ type: 'text_delta', session_id: 's1', seq, timestamp: '', text: 'x' }) };
}

test('a client that falls too far behind is disconnected with a reason; the others keep receiving', async () => {
  const slow = new FakeSocket();
  const fast = new FakeSocket();
  const slowStream = stream(slow, 1000);
  const fastStream = stream(fast, 1000);
  await new Promise((r) => setImmediate(r));

  for (let seq = 1; seq <= 3; seq++) {
    slowStream.publish(seq);
    fastStream.publish(seq);
    slow.bufferedAmount += 600; // the slow client reads nothing
  }
  expect(slow.sent.map((e) => e.seq)).toEqual([1, 2]);
  expect(slow.closed).toEqual({ code: 1013, reason: 'client too slow: reconnect with after_seq' });
  expect(fast.sent.map((e) => e.seq)).toEqual([1, 2, 3]);
  expect(fast.closed).toBeUndefined();
});

test('events are sent once each and in order, even when published twice', async () => {
  const socket = new FakeSocket();
  const client = stream(socket, 1_000_000);
  await new Promise((r) => setImmediate(r));
  for (const seq of [1, 2, 2, 3, 1]) client.publish(seq);
  expect(socket.sent.map((e) => e.seq)).toEqual([1, 2, 3]);
});
