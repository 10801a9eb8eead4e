import { existsSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startModelServer, type ModelServer } from '../../src/model-server/server.ts';
import { newUser, startServer, type TestServer } from '../support/server.ts';
import { finishedExecution } from '../support/tasks.ts';

let model: ModelServer;
let server: TestServer;
beforeAll(async () => {
  model = await startModelServer();
  server = await startServer({ env: { ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'k' } });
});
afterAll(async () => {
  await server.close();
  await model.close();
});

test('a task runs end to end: variables rendered into the prompt the model receives, a completed execution with cost, an archived session', async () => {
  const alice = await newUser(server.url);
  const task = (
    await alice.post('/api/v1/tasks', {
      name: `report-${randomUUID().slice(0, 6)}`,
      prompt_template: "!tool Write {\"file_path\":\"$CWD/{{ file }}\",\"content\":\"{{ greeting | upcase }} {{ who | default: 'world' }}\"}",
      allowed_tools: ['Write'],
    })
  ).body;
  expect(task.variables).toEqual(expect.arrayContaining(['file', 'greeting', 'who']));
  const started = await alice.post(`/api/v1/tasks/${task.id}/execute`, { variables: { file: 'out.txt', greeting: 'hello' } });
  expect(started.status).toBe(202);
  expect(started.body).toMatchObject({ task_id: task.id, status: 'pending', trigger: 'manual' });

  const execution = await finishedExecution(alice, started.body.execution_id);
  expect(execution.status).toBe('completed');
  expect(execution.cost_usd).toBeGreaterThan(0);
  expect(execution.duration_ms).toBeGreaterThan(0);
  const prompt = model.requests.filter((r) => r.sessionId === execution.session_id)[0]!.promptText;
  expect(prompt).toContain('"content":"HELLO world"');

  const session = (await alice.get(`/api/v1/sessions/${execution.session_id}`)).body;
  expect(session).toMatchObject({ mode: 'non_interactive', status: 'completed' });
  const calls = (await alice.get(`/api/v1/sessions/${execution.session_id}/tool-calls`)).body.items;
  expect(calls).toMatchObject([{ tool_name: 'Write', status: 'success', tool_input: { content: 'HELLO world' } }]);
  expect(existsSync(path.join(server.dataDir, 'archives', `${execution.session_id}.tar.gz`))).toBe(true);
  const listed = (await alice.get(`/api/v1/tasks/${task.id}/executions`)).body;
  expect(listed.items.map((e: any) => e.id)).toEqual([execution.id]);
});

test('a missing variable is 422 naming it, before anything runs; another user cannot run or see the task', async () => {
  const alice = await newUser(server.url);
  const bob = await newUser(server.url);
  const task = (await alice.post('/api/v1/tasks', { name: `t-${randomUUID().slice(0, 6)}`, prompt_template: 'Summarise {{ repo }}' })).body;
  const refused = await alice.post(`/api/v1/tasks/${task.id}/execute`, { variables: {} });
  expect(refused.status).toBe(422);
  expect(refused.body.error_code).toBe('TEMPLATE_VARIABLE_MISSING');
  expect(refused.body.detail).toContain('repo');
  expect((await alice.get(`/api/v1/tasks/${task.id}/executions`)).body.total).toBe(0);
  expect((await bob.post(`/api/v1/tasks/${task.id}/execute`, { variables: { repo: 'x' } })).status).toBe(404);
  const run = (await alice.post(`/api/v1/tasks/${task.id}/execute`, { variables: { repo: 'agentd' } })).body;
  expect((await bob.get(`/api/v1/task-executions/${run.id}`)).status).toBe(404);
  expect((await finishedExecution(alice, run.id)).status).toBe('completed');
});

test('a run whose model fails is recorded as failed with the error; a running one can be cancelled', async () => {
  const alice = await newUser(server.url);
  const failing = (await alice.post('/api/v1/tasks', { name: `f-${randomUUID().slice(0, 6)}`, prompt_template: '!error 500 model is down' })).body;
  const failed = await finishedExecution(alice, (await alice.post(`/api/v1/tasks/${failing.id}/execute`, {})).body.id);
  expect(failed.status).toBe('failed');
  expect(failed.error_message).toContain('model is down');

  const slow = (await alice.post('/api/v1/tasks', { name: `s-${randomUUID().slice(0, 6)}`, prompt_template: '!delay 20000\n!text late' })).body;
  const run = (await alice.post(`/api/v1/tasks/${slow.id}/execute`, {})).body;
  for (let i = 0; i < 100 && (await alice.get(`/api/v1/task-executions/${run.id}`)).body.status !== 'running'; i++) await new Promise((r) => setTimeout(r, 100));
  const cancelled = await alice.post(`/api/v1/task-executions/${run.id}/cancel`);
  expect(cancelled.status).toBe(200);
  expect(cancelled.body.status).toBe('cancelled');
  expect((await alice.post(`/api/v1/task-executions/${run.id}/cancel`)).status).toBe(409);
  expect((await finishedExecution(alice, run.id)).status).toBe('cancelled');
});
