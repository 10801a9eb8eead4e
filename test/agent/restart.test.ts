import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startModelServer, type ModelServer } from '../../src/model-server/server.ts';
import { isAlive, recordedAgentPids, startServerProcess } from '../support/process.ts';
import { client, newUser } from '../support/server.ts';

let model: ModelServer;
let dataDir: string;
beforeAll(async () => {
  model = await startModelServer();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'agentd-restart-'));
});
afterAll(async () => {
  await model.close();
  await rm(dataDir, { recursive: true, force: true });
});

const env = () => ({
  AGENTD_DATA_DIR: dataDir,
  ANTHROPIC_BASE_URL: model.url,
  ANTHROPIC_API_KEY: 'k',
  JWT_SECRET: 'restart-test-secret-restart-test-secret-0',
  ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
});

test('a server killed mid-turn comes back with the session interrupted, its messages kept, and its history answering', async () => {
  const first = await startServerProcess(env());
  const alice = await newUser(first.url);
  const session = (await alice.post('/api/v1/sessions', { name: 'survivor' })).body;
  expect((await alice.post(`/api/v1/sessions/${session.id}/query`, { message: 'the code is 4711' })).status).toBe(200);
  void alice.post(`/api/v1/sessions/${session.id}/query`, { message: '!delay 30000\n!text too late' }).catch(() => undefined);
  for (let i = 0; i < 100 && (await alice.get(`/api/v1/sessions/${session.id}`)).body.status !== 'processing'; i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));
  const agentPids = recordedAgentPids(dataDir);
  expect(agentPids.length).toBeGreaterThan(0);
  first.child.kill('SIGKILL');
  await first.exited;

  const second = await startServerProcess(env());
  try {
    const again = client(second.url, alice.token);
    const after = (await again.get(`/api/v1/sessions/${session.id}`)).body;
    expect(after.status).toBe('active');
    expect(after.error_message).toMatch(/interrupted/);
    const messages = (await again.get(`/api/v1/sessions/${session.id}/messages?limit=100`)).body.items;
    expect(messages.map((m: any) => m.message_type)).toEqual(['user', 'assistant', 'result', 'user', 'error']);
    expect(messages[4].content.error_code).toBe('TURN_INTERRUPTED');
    // Whatever the killed server had started is gone: reaped at start-up if it outlived its parent.
    for (const pid of agentPids) expect(isAlive(pid)).toBe(false);

    const turn = await again.post(`/api/v1/sessions/${session.id}/query`, { message: 'what was the code?' });
    expect(turn.status).toBe(200);
    expect(JSON.stringify(model.requests.filter((r) => r.sessionId === session.id).at(-1)!.body.messages)).toContain('the code is 4711');
  } finally {
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }
});

test('SIGTERM lets a running turn finish, stops every agent process and exits 0', async () => {
  const server = await startServerProcess(env());
  const alice = await newUser(server.url);
  const sessions = await Promise.all([alice.post('/api/v1/sessions', {}), alice.post('/api/v1/sessions', {})]);
  await alice.post(`/api/v1/sessions/${sessions[0].body.id}/query`, { message: 'idle agent' });
  const running = alice.post(`/api/v1/sessions/${sessions[1].body.id}/query`, { message: '!delay 1500\n!text finished during shutdown' });
  for (let i = 0; i < 100 && recordedAgentPids(dataDir).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
  const pids = recordedAgentPids(dataDir);
  expect(pids.length).toBe(2);
  server.child.kill('SIGTERM');
  const turn = await running;
  expect(turn.status).toBe(200);
  expect(turn.body.content).toBe('finished during shutdown');
  expect(await server.exited).toBe(0);
  for (const pid of pids) expect(isAlive(pid)).toBe(false);
  expect(recordedAgentPids(dataDir)).toEqual([]);
});

test('a task run killed with its server is failed as interrupted when the server comes back', async () => {
  const first = await startServerProcess(env());
  const alice = await newUser(first.url);
  const task = (await alice.post('/api/v1/tasks', { name: `slow-${Date.now()}`, prompt_template: '!delay 30000\n!text too late' })).body;
  const run = (await alice.post(`/api/v1/tasks/${task.id}/execute`, {})).body;
  for (let i = 0; i < 100 && (await alice.get(`/api/v1/task-executions/${run.id}`)).body.status !== 'running'; i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 500));
  first.child.kill('SIGKILL');
  await first.exited;

  const second = await startServerProcess(env());
  try {
    const again = client(second.url, alice.token);
    const execution = (await again.get(`/api/v1/task-executions/${run.id}`)).body;
    expect(execution.status).toBe('failed');
    expect(execution.error_message).toMatch(/interrupted/);
    expect((await again.get(`/api/v1/sessions/${execution.session_id}`)).body.status).not.toBe('processing');
  } finally {
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }
});
