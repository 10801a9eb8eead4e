import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startModelServer, type ModelServer } from '../../src/model-server/server.ts';
import { isAlive } from '../support/process.ts';
import { newUser, startServer, type TestServer } from '../support/server.ts';

let model: ModelServer;
let server: TestServer;
beforeAll(async () => {
  // An Anthropic-compatible endpoint of our own, given through ANTHROPIC_BASE_URL, so the test can read what the agent sent.
  model = await startModelServer();
  server = await startServer({ env: { ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'test-key' } });
});
afterAll(async () => {
  await server.close();
  await model.close();
});

const requestsOf = (sessionId: string) => model.requests.filter((r) => r.sessionId === sessionId);
const allText = (body: any) => JSON.stringify(body.messages);

test("a fork's first model request carries the parent's earlier turns, and its own working directory", async () => {
  const alice = await newUser(server.url);
  const parent = (await alice.post('/api/v1/sessions', { name: 'parent', sdk_options: { allowed_tools: ['Write'] } })).body;
  await alice.post(`/api/v1/sessions/${parent.id}/query`, { message: 'remember the word pineapple' });
  await alice.post(`/api/v1/sessions/${parent.id}/query`, { message: '!tool Write {"file_path":"$CWD/parent.txt","content":"from parent"}' });

  const fork = await alice.post(`/api/v1/sessions/${parent.id}/fork`, { name: 'child' });
  expect(fork.status).toBe(201);
  expect(fork.body).toMatchObject({ parent_session_id: parent.id, is_fork: true, name: 'child', status: 'created' });
  expect(readFileSync(path.join(fork.body.working_directory_path, 'parent.txt'), 'utf8')).toBe('from parent');

  const turn = await alice.post(`/api/v1/sessions/${fork.body.id}/query`, { message: 'what was the word?' });
  expect(turn.body.content).toBe('echo: what was the word?');
  const first = requestsOf(fork.body.id)[0];
  expect(first).toBeDefined();
  expect(allText(first!.body)).toContain('remember the word pineapple');
  // The parent goes on alone: its conversation does not contain the fork's question.
  await alice.post(`/api/v1/sessions/${parent.id}/query`, { message: 'parent again' });
  expect(allText(requestsOf(parent.id).at(-1)!.body)).not.toContain('what was the word?');
  const forked = (await alice.get(`/api/v1/sessions/${fork.body.id}`)).body;
  expect(forked.total_cost_usd).toBeGreaterThan(0);
  expect(forked.total_cost_usd).toBeLessThan((await alice.get(`/api/v1/sessions/${parent.id}`)).body.total_cost_usd);
});

test('interrupt ends a running turn within a second and the session keeps working', async () => {
  const alice = await newUser(server.url);
  const session = (await alice.post('/api/v1/sessions', {})).body;
  await alice.post(`/api/v1/sessions/${session.id}/query`, { message: 'warm up' });
  const slow = alice.post(`/api/v1/sessions/${session.id}/query`, { message: '!delay 20000\n!text too late' });
  await waitForStatus(alice, session.id, 'processing');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const started = Date.now();
  const interrupted = await alice.post(`/api/v1/sessions/${session.id}/interrupt`);
  expect(interrupted.status).toBe(200);
  expect(Date.now() - started).toBeLessThan(1000);
  expect(interrupted.body.status).toBe('active');
  const slowTurn = await slow;
  expect(slowTurn.body.stop_reason ?? slowTurn.body.error_code).toMatch(/interrupted|TURN_INTERRUPTED/);
  const next = await alice.post(`/api/v1/sessions/${session.id}/query`, { message: 'still there?' });
  expect(next.status).toBe(200);
  expect(next.body.content).toBe('echo: still there?');
});

test('an HTTP 500 from the model ends the turn with MODEL_ERROR and the session is not stuck', async () => {
  const alice = await newUser(server.url);
  const session = (await alice.post('/api/v1/sessions', {})).body;
  const failed = await alice.post(`/api/v1/sessions/${session.id}/query`, { message: '!error 500 upstream exploded' });
  expect(failed.status).toBe(502);
  expect(failed.body.error_code).toBe('MODEL_ERROR');
  expect(failed.body.detail).toContain('upstream exploded');
  const after = (await alice.get(`/api/v1/sessions/${session.id}`)).body;
  expect(after.status).toBe('active');
  expect(after.error_message).toContain('upstream exploded');
  const retry = await alice.post(`/api/v1/sessions/${session.id}/query`, { message: 'try again' });
  expect(retry.status).toBe(200);
  expect(retry.body.content).toBe('echo: try again');
});

test('one turn at a time: a second message while processing is 409 SESSION_BUSY', async () => {
  const alice = await newUser(server.url);
  const session = (await alice.post('/api/v1/sessions', {})).body;
  const slow = alice.post(`/api/v1/sessions/${session.id}/query`, { message: '!delay 1500\n!text slow' });
  await waitForStatus(alice, session.id, 'processing');
  const second = await alice.post(`/api/v1/sessions/${session.id}/query`, { message: 'me too' });
  expect(second.status).toBe(409);
  expect(second.body.error_code).toBe('SESSION_BUSY');
  expect((await slow).body.content).toBe('slow');
});

test('pause refuses messages and releases the agent; resume brings the conversation back', async () => {
  const alice = await newUser(server.url);
  const session = (await alice.post('/api/v1/sessions', {})).body;
  await alice.post(`/api/v1/sessions/${session.id}/query`, { message: 'the code is 4711' });
  const paused = await alice.post(`/api/v1/sessions/${session.id}/pause`);
  expect(paused.body.status).toBe('paused');
  const refused = await alice.post(`/api/v1/sessions/${session.id}/query`, { message: 'hello?' });
  expect(refused.status).toBe(409);
  expect(refused.body.error_code).toBe('SESSION_NOT_ACCEPTING');
  expect((await alice.post(`/api/v1/sessions/${session.id}/resume`, {})).body.status).toBe('active');
  await alice.post(`/api/v1/sessions/${session.id}/query`, { message: 'what was the code?' });
  expect(allText(requestsOf(session.id).at(-1)!.body)).toContain('the code is 4711');
});

test('DELETE stops the agent process and archives the working directory', async () => {
  const alice = await newUser(server.url);
  const session = (await alice.post('/api/v1/sessions', {})).body;
  const before = new Set(server.container.runtime.livePids());
  await alice.post(`/api/v1/sessions/${session.id}/query`, { message: 'hello' });
  const mine = server.container.runtime.livePids().filter((pid) => !before.has(pid));
  expect(mine).toHaveLength(1);
  expect((await alice.delete(`/api/v1/sessions/${session.id}`)).status).toBe(204);
  expect(server.container.runtime.livePids()).not.toContain(mine[0]);
  expect(isAlive(mine[0]!)).toBe(false);
  expect(existsSync(path.join(server.dataDir, 'archives', `${session.id}.tar.gz`))).toBe(true);
  expect((await alice.get(`/api/v1/sessions/${session.id}`)).body.status).toBe('terminated');
});

async function waitForStatus(user: Awaited<ReturnType<typeof newUser>>, id: string, status: string) {
  for (let i = 0; i < 100; i++) {
    if ((await user.get(`/api/v1/sessions/${id}`)).body.status === status) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`session never became ${status}`);
}
