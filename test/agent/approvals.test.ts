import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import WebSocket from 'ws';
import { newUser, startServer, type TestServer } from '../support/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ env: { AGENTD_PERMISSION_TIMEOUT_SECONDS: '2' } });
});
afterAll(() => server.close());

const interactive = { sdk_options: { permission_mode: 'default', approval_mode: 'interactive' } };
const writeFile = (name: string) => `!tool Write {"file_path":"$CWD/${name}","content":"approved content"}`;

async function nextEvent(sessionId: string, token: string, type: string, send?: object) {
  const socket = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/sessions/${sessionId}/stream?token=${token}`);
  await new Promise((resolve) => socket.once('open', resolve));
  const frame = new Promise<any>((resolve) =>
    socket.on('message', (data: Buffer) => {
      const parsed = JSON.parse(data.toString('utf8'));
      if (parsed.type === type) resolve(parsed);
    }),
  );
  if (send) socket.send(JSON.stringify(send));
  return { frame, socket };
}

test('an unanswered permission request denies when it times out, and the tool never runs', async () => {
  const alice = await newUser(server.url);
  const session = (await alice.post('/api/v1/sessions', interactive)).body;
  const { frame, socket } = await nextEvent(session.id, alice.token!, 'permission_request');
  const turn = alice.post(`/api/v1/sessions/${session.id}/query`, { message: writeFile('never.txt') });
  const request = await frame;
  expect(request).toMatchObject({ tool_name: 'Write', tool_input: { content: 'approved content' } });
  expect((await alice.get(`/api/v1/sessions/${session.id}`)).body.status).toBe('waiting');
  const done = await turn;
  socket.close();
  expect(done.status).toBe(200);
  expect(done.body.tool_calls).toMatchObject([{ tool_name: 'Write', status: 'denied' }]);
  expect(existsSync(path.join(session.working_directory_path, 'never.txt'))).toBe(false);
  const decisions = (await alice.get(`/api/v1/sessions/${session.id}/permissions`)).body.items;
  expect(decisions).toEqual([expect.objectContaining({ tool_name: 'Write', decision: 'deny', decided_by: 'timeout' })]);
  expect((await alice.get(`/api/v1/sessions/${session.id}`)).body.status).toBe('active');
  const late = await alice.post(`/api/v1/sessions/${session.id}/permissions/${request.request_id}`, { decision: 'allow' });
  expect(late.status).toBe(409);
  expect(late.body.error_code).toBe('PERMISSION_ALREADY_DECIDED');
});

test('an allowed request runs the tool; the answer is stored and audited', async () => {
  const alice = await newUser(server.url);
  const session = (await alice.post('/api/v1/sessions', interactive)).body;
  const { frame, socket } = await nextEvent(session.id, alice.token!, 'permission_request');
  const turn = alice.post(`/api/v1/sessions/${session.id}/query`, { message: writeFile('yes.txt') });
  const request = await frame;
  const answer = await alice.post(`/api/v1/sessions/${session.id}/permissions/${request.request_id}`, { decision: 'allow' });
  expect(answer.status).toBe(200);
  const done = await turn;
  socket.close();
  expect(done.body.tool_calls).toMatchObject([{ tool_name: 'Write', status: 'success' }]);
  expect(readFileSync(path.join(session.working_directory_path, 'yes.txt'), 'utf8')).toBe('approved content');
  const decisions = (await alice.get(`/api/v1/sessions/${session.id}/permissions`)).body.items;
  expect(decisions).toEqual([expect.objectContaining({ decision: 'allow', decided_by: alice.userId })]);
  const audit = (await alice.get('/api/v1/audit-logs?event_type=tool.permission_granted')).body.items;
  expect(audit.some((row: any) => row.resource_id === session.id)).toBe(true);
});

test('a WebSocket permission_response answers too; another user cannot answer', async () => {
  const alice = await newUser(server.url);
  const bob = await newUser(server.url);
  const session = (await alice.post('/api/v1/sessions', interactive)).body;
  const { frame, socket } = await nextEvent(session.id, alice.token!, 'permission_request');
  const turn = alice.post(`/api/v1/sessions/${session.id}/query`, { message: writeFile('ws.txt') });
  const request = await frame;
  expect((await bob.post(`/api/v1/sessions/${session.id}/permissions/${request.request_id}`, { decision: 'allow' })).status).toBe(404);
  socket.send(JSON.stringify({ type: 'permission_response', request_id: request.request_id, decision: 'deny', message: 'not this file' }));
  const done = await turn;
  socket.close();
  expect(done.body.tool_calls).toMatchObject([{ tool_name: 'Write', status: 'denied' }]);
  expect(existsSync(path.join(session.working_directory_path, 'ws.txt'))).toBe(false);
});
