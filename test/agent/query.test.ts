import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { newUser, startServer, type TestServer } from '../support/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

test('a message gets an answer, and the turn is recorded', async () => {
  const alice = await newUser(server.url);
  const session = (await alice.post('/api/v1/sessions', { name: 'chat' })).body;
  const turn = await alice.post(`/api/v1/sessions/${session.id}/query`, { message: 'hello there' });
  expect(turn.status).toBe(200);
  expect(turn.body.content).toBe('echo: hello there');
  expect(turn.body.metrics.cost_usd).toBeGreaterThan(0);
  const after = (await alice.get(`/api/v1/sessions/${session.id}`)).body;
  expect(after.status).toBe('active');
  expect(after.total_messages).toBe(3);
  expect(after.total_cost_usd).toBeCloseTo(turn.body.metrics.cost_usd, 6);
  const messages = (await alice.get(`/api/v1/sessions/${session.id}/messages`)).body;
  expect(messages.items.map((m: any) => m.message_type)).toEqual(['user', 'assistant', 'result']);
});

test('a Write tool call creates the file in the working directory', async () => {
  const alice = await newUser(server.url);
  const session = (await alice.post('/api/v1/sessions', { sdk_options: { allowed_tools: ['Write'] } })).body;
  const turn = await alice.post(`/api/v1/sessions/${session.id}/query`, { message: '!tool Write {"file_path":"$CWD/notes.txt","content":"written by the agent"}' });
  expect(turn.status).toBe(200);
  expect(turn.body.tool_calls).toMatchObject([{ tool_name: 'Write', status: 'success' }]);
  const file = path.join(session.working_directory_path, 'notes.txt');
  expect(existsSync(file)).toBe(true);
  expect(readFileSync(file, 'utf8')).toBe('written by the agent');
  const calls = (await alice.get(`/api/v1/sessions/${session.id}/tool-calls`)).body;
  expect(calls.items[0]).toMatchObject({ tool_name: 'Write', status: 'success', tool_input: { content: 'written by the agent' } });
  expect(calls.items[0].duration_ms).toBeGreaterThanOrEqual(0);
});

test('a follow-up turn reuses the live agent and carries the conversation', async () => {
  const alice = await newUser(server.url);
  const session = (await alice.post('/api/v1/sessions', {})).body;
  await alice.post(`/api/v1/sessions/${session.id}/query`, { message: 'first' });
  const second = await alice.post(`/api/v1/sessions/${session.id}/query`, { message: 'second' });
  expect(second.body.content).toBe('echo: second');
  const after = (await alice.get(`/api/v1/sessions/${session.id}`)).body;
  expect(after.total_messages).toBe(6);
});

test('a tool that prints a NUL byte is recorded (as U+FFFD), not lost to a database error', async () => {
  const alice = await newUser(server.url);
  const session = (await alice.post('/api/v1/sessions', { sdk_options: { allowed_tools: ['Bash'] } })).body;
  const turn = await alice.post(`/api/v1/sessions/${session.id}/query`, { message: String.raw`!tool Bash {"command":"printf 'x\\0y'"}` });
  expect(turn.status).toBe(200);
  const calls = (await alice.get(`/api/v1/sessions/${session.id}/tool-calls`)).body;
  expect(calls.items[0].status).toBe('success');
  expect(JSON.stringify(calls.items[0].output)).toContain('x\uFFFDy');
  expect((await alice.get(`/api/v1/sessions/${session.id}`)).body.status).toBe('active');
});
