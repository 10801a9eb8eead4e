import { existsSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import WebSocket from 'ws';
import { client, newUser, startServer, type Client, type TestServer } from '../support/server.ts';

/**
 * Two servers sharing the database and Redis, as behind a load balancer: a turn runs on the one
 * that took the message, and an answer or an interrupt may reach the other. Needs the machine's
 * PostgreSQL and Redis (CI sets DATABASE_URL and REDIS_URL).
 */
const shared = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

let runner: TestServer;
let other: TestServer;
beforeAll(async () => {
  if (!shared) return;
  const env = { AGENTD_QUEUE_PREFIX: `agentd-pair-${randomUUID().slice(0, 8)}` };
  [runner, other] = [await startServer({ env }), await startServer({ env })];
});
afterAll(async () => {
  await runner?.close();
  await other?.close();
});

const interactive = { sdk_options: { permission_mode: 'default', approval_mode: 'interactive' } };

async function permissionRequest(url: string, sessionId: string, token: string) {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/api/v1/sessions/${sessionId}/stream?token=${token}`);
  await new Promise((resolve) => socket.once('open', resolve));
  const request = new Promise<any>((resolve) => socket.on('message', (data: Buffer) => JSON.parse(data.toString('utf8')).type === 'permission_request' && resolve(JSON.parse(data.toString('utf8')))));
  return { request, close: () => socket.close() };
}

async function statusOf(user: Client, sessionId: string, wanted: string) {
  for (let i = 0; i < 100; i++) {
    if ((await user.get(`/api/v1/sessions/${sessionId}`)).body.status === wanted) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`session never reached ${wanted}`);
}

test.skipIf(!shared)('a permission answer that reaches the other server is carried to the one running the turn; a second answer is 409 there too', async () => {
  const alice = await newUser(runner.url);
  const viaOther = client(other.url, alice.token);
  const session = (await alice.post('/api/v1/sessions', interactive)).body;
  const watch = await permissionRequest(other.url, session.id, alice.token!);
  const turn = alice.post(`/api/v1/sessions/${session.id}/query`, { message: `!tool Write {"file_path":"$CWD/approved.txt","content":"yes"}` });
  const request = await watch.request;
  const answer = await viaOther.post(`/api/v1/sessions/${session.id}/permissions/${request.request_id}`, { decision: 'allow' });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  const done = await turn;
  watch.close();
  expect(done.body.tool_calls).toMatchObject([{ tool_name: 'Write', status: 'success' }]);
  expect(existsSync(path.join(session.working_directory_path, 'approved.txt'))).toBe(true);
  const again = await viaOther.post(`/api/v1/sessions/${session.id}/permissions/${request.request_id}`, { decision: 'deny' });
  expect(again.status).toBe(409);
  expect(again.body.error_code).toBe('PERMISSION_ALREADY_DECIDED');
  const unknown = await viaOther.post(`/api/v1/sessions/${session.id}/permissions/${randomUUID()}`, { decision: 'allow' });
  expect(unknown.status).toBe(404);
  expect(unknown.body.error_code).toBe('PERMISSION_REQUEST_NOT_FOUND');
});

test.skipIf(!shared)('an interrupt that reaches the other server ends the turn on the one running it', async () => {
  const alice = await newUser(runner.url);
  const session = (await alice.post('/api/v1/sessions', {})).body;
  const slow = alice.post(`/api/v1/sessions/${session.id}/query`, { message: '!delay 20000\n!text too late' });
  await statusOf(alice, session.id, 'processing');
  await new Promise((r) => setTimeout(r, 300));
  const started = Date.now();
  const interrupted = await client(other.url, alice.token).post(`/api/v1/sessions/${session.id}/interrupt`);
  expect(interrupted.status).toBe(200);
  const slowTurn = await slow;
  expect(Date.now() - started).toBeLessThan(3000);
  expect(slowTurn.body.stop_reason ?? slowTurn.body.error_code).toMatch(/interrupted|TURN_INTERRUPTED/);
  await statusOf(alice, session.id, 'active');
});
