import { afterAll, beforeAll, expect, test } from 'vitest';
import WebSocket from 'ws';
import { newUser, startServer, type TestServer } from '../support/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

interface Watcher {
  frames: any[];
  socket: WebSocket;
  until(predicate: (frame: any) => boolean, timeoutMs?: number): Promise<any>;
}

async function watch(sessionId: string, token: string, query = ''): Promise<Watcher> {
  const socket = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/sessions/${sessionId}/stream?token=${token}${query}`);
  const frames: any[] = [];
  const waiters: { predicate: (f: any) => boolean; resolve: (f: any) => void }[] = [];
  socket.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString('utf8'));
    frames.push(frame);
    for (const w of [...waiters]) if (w.predicate(frame)) w.resolve(frame);
  });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return {
    frames,
    socket,
    until: (predicate, timeoutMs = 20_000) => {
      const seen = frames.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching frame; got ${frames.map((f) => f.type).join(',')}`)), timeoutMs);
        waiters.push({ predicate, resolve: (f) => (clearTimeout(timer), resolve(f)) });
      });
    },
  };
}

const sessionEvents = (frames: any[]) => frames.filter((f) => f.type !== 'pong');

test('two viewers see the same events, in the same strictly increasing order, ending with a result', async () => {
  const alice = await newUser(server.url);
  const session = (await alice.post('/api/v1/sessions', { sdk_options: { allowed_tools: ['Write'] } })).body;
  const first = await watch(session.id, alice.token!);
  const second = await watch(session.id, alice.token!);
  first.socket.send(JSON.stringify({ type: 'query', message: '!tool Write {"file_path":"$CWD/a.txt","content":"x"}' }));
  await first.until((f) => f.type === 'result');
  await second.until((f) => f.type === 'result');
  await first.until((f) => f.type === 'status' && f.status === 'active');
  await second.until((f) => f.type === 'status' && f.status === 'active');

  const a = sessionEvents(first.frames);
  const seqs = a.map((f) => f.seq);
  expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
  expect(new Set(seqs).size).toBe(seqs.length);
  expect(sessionEvents(second.frames).map((f) => f.seq)).toEqual(seqs);
  const types = a.map((f) => f.type);
  for (const type of ['status', 'user_message', 'text_delta', 'assistant_message', 'tool_use', 'tool_result', 'result']) expect(types).toContain(type);
  expect(a.every((f) => f.session_id === session.id)).toBe(true);
  const result = a.find((f) => f.type === 'result');
  expect(result.metrics.cost_usd).toBeGreaterThan(0);
  expect(result.tool_calls[0]).toMatchObject({ tool_name: 'Write', status: 'success' });

  first.socket.send(JSON.stringify({ type: 'ping' }));
  expect((await first.until((f) => f.type === 'pong')).session_id).toBe(session.id);
  first.socket.close();
  second.socket.close();
});

test('a reconnect with after_seq gets exactly the missed events, then live ones', async () => {
  const alice = await newUser(server.url);
  const session = (await alice.post('/api/v1/sessions', {})).body;
  await alice.post(`/api/v1/sessions/${session.id}/query`, { message: 'one' });
  const midway = (await alice.get(`/api/v1/sessions/${session.id}`)).body.last_seq;
  await alice.post(`/api/v1/sessions/${session.id}/query`, { message: 'two' });
  const total = (await alice.get(`/api/v1/sessions/${session.id}`)).body.last_seq;

  const viewer = await watch(session.id, alice.token!, `&after_seq=${midway}`);
  await viewer.until((f) => f.seq === total);
  viewer.socket.send(JSON.stringify({ type: 'query', message: 'three' }));
  await viewer.until((f) => f.type === 'result' && f.content === 'echo: three');
  await viewer.until((f) => f.type === 'status' && f.status === 'active' && f.seq > total);
  const seqs = sessionEvents(viewer.frames).map((f) => f.seq);
  const expected = Array.from({ length: seqs.at(-1)! - midway }, (_, i) => midway + 1 + i);
  expect(seqs).toEqual(expected);
  viewer.socket.close();
});

test('the stream refuses a bad token and another user', async () => {
  const alice = await newUser(server.url);
  const bob = await newUser(server.url);
  const session = (await alice.post('/api/v1/sessions', {})).body;
  const statusOf = (token: string) =>
    new Promise<number>((resolve) => {
      const socket = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/sessions/${session.id}/stream?token=${token}`);
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('open', () => resolve(101));
    });
  expect(await statusOf('garbage')).toBe(401);
  expect(await statusOf(bob.token!)).toBe(404);
});

test('POST /query with Accept: text/event-stream streams the turn as server-sent events', async () => {
  const alice = await newUser(server.url);
  const session = (await alice.post('/api/v1/sessions', {})).body;
  const response = await fetch(`${server.url}/api/v1/sessions/${session.id}/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ message: 'stream me' }),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const text = await response.text();
  const events = text
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => JSON.parse(block.split('\n').find((line) => line.startsWith('data: '))!.slice(6)));
  expect(events.map((e) => e.type)).toContain('text_delta');
  const result = events.find((e) => e.type === 'result');
  expect(result.content).toBe('echo: stream me');
  const deltas = events.filter((e) => e.type === 'text_delta').map((e) => e.text).join('');
  expect(deltas).toBe('echo: stream me');
});
