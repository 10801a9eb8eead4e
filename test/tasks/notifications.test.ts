import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { newUser, startServer, type Client, type TestServer } from '../support/server.ts';
import { finishedExecution } from '../support/tasks.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

let server: TestServer;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
  // 127.0.0.2 stands for a range an operator shuts off (the default is link-local, where cloud metadata answers).
  server = await startServer({ env: { AGENTD_WEBHOOK_BACKOFF_MS: '100', AGENTD_WEBHOOK_ATTEMPTS: '4', AGENTD_OUTBOUND_DENY: '169.254.0.0/16,127.0.0.2' } });
});
afterAll(async () => {
  await server.close();
  await receiver.close();
});

const secret = 'receiver-shared-secret-0123456789';

async function taskWithWebhook(user: Client, prompt: string) {
  const path = `/hooks/${randomUUID()}`;
  const created = await user.post('/api/v1/tasks', { name: `n-${randomUUID().slice(0, 6)}`, prompt_template: prompt, notification_config: { webhook_url: `${receiver.url}${path}`, secret } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { task: created.body, path };
}

/** What a receiver does to trust a delivery: recompute the HMAC over timestamp and body. */
function verified(hook: { headers: Record<string, unknown>; body: string }) {
  const expected = `sha256=${createHmac('sha256', secret).update(`${String(hook.headers['x-agentd-timestamp'])}.${hook.body}`).digest('hex')}`;
  return hook.headers['x-agentd-signature'] === expected;
}

async function deliveriesOf(user: Client, executionId: string, count: number) {
  for (let i = 0; i < 200; i++) {
    const execution = (await user.get(`/api/v1/task-executions/${executionId}`)).body;
    if (execution.deliveries.length >= count) return execution.deliveries;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`fewer than ${count} deliveries recorded`);
}

test('a finished execution is posted to the webhook, signed; the delivery is recorded on the execution', async () => {
  const alice = await newUser(server.url);
  const { task, path } = await taskWithWebhook(alice, 'Say hello to {{ who }}');
  const run = (await alice.post(`/api/v1/tasks/${task.id}/execute`, { variables: { who: 'the receiver' } })).body;
  const execution = await finishedExecution(alice, run.id);
  expect(execution.status).toBe('completed');

  const [hook] = await receiver.waitFor(path, 1);
  expect(verified(hook!)).toBe(true);
  expect(hook!.headers['content-type']).toBe('application/json');
  expect(hook!.headers['x-agentd-event']).toBe('task.execution.completed');
  expect(Math.abs(Number(hook!.headers['x-agentd-timestamp']) * 1000 - Date.now())).toBeLessThan(60_000);
  const payload = JSON.parse(hook!.body);
  expect(payload).toMatchObject({
    event: 'task.execution.completed',
    task: { id: task.id, name: task.name },
    execution: { id: run.id, status: 'completed', trigger: 'manual', session_id: execution.session_id, error_message: null },
  });
  expect(payload.execution.cost_usd).toBeGreaterThan(0);
  // The secret is the receiver's and ours alone: not in the request, not in any response.
  expect(JSON.stringify(hook)).not.toContain(secret);
  expect(JSON.stringify((await alice.get(`/api/v1/tasks/${task.id}`)).body)).not.toContain(secret);

  const [delivery] = await deliveriesOf(alice, run.id, 1);
  expect(delivery).toMatchObject({ attempt: 1, event: 'task.execution.completed', url: `${receiver.url}${path}`, status_code: 200, ok: true, error: null });
});

test('a failed execution is posted as failed; a receiver that errors gets retried with backoff until it answers', async () => {
  const alice = await newUser(server.url);
  const { task, path } = await taskWithWebhook(alice, '!error 500 model is down');
  receiver.answer(path, [503, 500]);
  const run = (await alice.post(`/api/v1/tasks/${task.id}/execute`, {})).body;
  expect((await finishedExecution(alice, run.id)).status).toBe('failed');

  const hooks = await receiver.waitFor(path, 3);
  expect(hooks.map((h) => h.status)).toEqual([503, 500, 200]);
  expect(hooks.every(verified)).toBe(true);
  expect(JSON.parse(hooks[2]!.body)).toMatchObject({ event: 'task.execution.failed', execution: { id: run.id, status: 'failed' } });
  expect(JSON.parse(hooks[2]!.body).execution.error_message).toContain('model is down');
  const deliveries = await deliveriesOf(alice, run.id, 3);
  expect(deliveries.map((d: any) => [d.attempt, d.status_code, d.ok])).toEqual([
    [1, 503, false],
    [2, 500, false],
    [3, 200, true],
  ]);
});

test('a receiver that refuses (4xx) is not retried; one that is unreachable is retried until the attempts run out', async () => {
  const alice = await newUser(server.url);
  const { task, path } = await taskWithWebhook(alice, 'hello');
  receiver.answer(path, [410]);
  const run = (await alice.post(`/api/v1/tasks/${task.id}/execute`, {})).body;
  await finishedExecution(alice, run.id);
  expect(await deliveriesOf(alice, run.id, 1)).toMatchObject([{ attempt: 1, status_code: 410, ok: false, error: 'HTTP 410' }]);
  await new Promise((r) => setTimeout(r, 500));
  expect(receiver.received(path)).toHaveLength(1);

  // A port nothing listens on: every attempt fails to connect, each is recorded, then it stops.
  const closed = await startWebhookReceiver();
  await closed.close();
  const unreachable = (await alice.patch(`/api/v1/tasks/${task.id}`, { notification_config: { webhook_url: `${closed.url}/gone` } })).body;
  expect(unreachable.notification_config).toEqual({ webhook_url: `${closed.url}/gone`, secret: '****' });
  const second = (await alice.post(`/api/v1/tasks/${task.id}/execute`, {})).body;
  await finishedExecution(alice, second.id);
  const deliveries = await deliveriesOf(alice, second.id, 4);
  expect(deliveries.map((d: any) => [d.attempt, d.status_code, d.ok])).toEqual([1, 2, 3, 4].map((n) => [n, null, false]));
  expect(deliveries[0].error).toMatch(/ECONNREFUSED/);
  await new Promise((r) => setTimeout(r, 1000));
  expect((await alice.get(`/api/v1/task-executions/${second.id}`)).body.deliveries).toHaveLength(4);
});

test('a webhook in a denied address range is never contacted: one refused attempt is recorded, with the reason', async () => {
  const alice = await newUser(server.url);
  const denied = await startWebhookReceiver('127.0.0.2'); // an address this server is told not to contact
  const created = await alice.post('/api/v1/tasks', { name: `d-${randomUUID().slice(0, 6)}`, prompt_template: 'hello', notification_config: { webhook_url: `${denied.url}/inside`, secret } });
  const run = (await alice.post(`/api/v1/tasks/${created.body.id}/execute`, {})).body;
  await finishedExecution(alice, run.id);
  const [delivery] = await deliveriesOf(alice, run.id, 1);
  expect(delivery).toMatchObject({ attempt: 1, status_code: null, ok: false });
  expect(delivery.error).toMatch(/127\.0\.0\.2.*AGENTD_OUTBOUND_DENY/);
  await new Promise((r) => setTimeout(r, 600));
  expect((await alice.get(`/api/v1/task-executions/${run.id}`)).body.deliveries).toHaveLength(1);
  expect(denied.received('/inside')).toHaveLength(0);
  await denied.close();
});

test('a webhook URL with a user name or password is refused: deliveries are signed instead', async () => {
  const alice = await newUser(server.url);
  const refused = await alice.post('/api/v1/tasks', { name: 'x', prompt_template: 'x', notification_config: { webhook_url: 'https://user:pass@hooks.example.test/x', secret } });
  expect(refused.status).toBe(422);
  expect(refused.body.error_code).toBe('VALIDATION_ERROR');
});

test('a trigger token starts the task from outside; it is shown once, works for its task only, and can be revoked', async () => {
  const alice = await newUser(server.url);
  const bob = await newUser(server.url);
  const task = (await alice.post('/api/v1/tasks', { name: `t-${randomUUID().slice(0, 6)}`, prompt_template: 'Deploy {{ version }}' })).body;
  const other = (await alice.post('/api/v1/tasks', { name: `o-${randomUUID().slice(0, 6)}`, prompt_template: 'Other' })).body;
  expect(task.has_trigger_token).toBe(false);
  expect((await bob.post(`/api/v1/tasks/${task.id}/trigger-token`)).status).toBe(404);
  const issued = await alice.post(`/api/v1/tasks/${task.id}/trigger-token`);
  expect(issued.status).toBe(201);
  expect(issued.body).toMatchObject({ header: 'X-Agentd-Trigger-Token', trigger_url: `/api/v1/tasks/${task.id}/trigger` });
  const token: string = issued.body.token;
  const shown = (await alice.get(`/api/v1/tasks/${task.id}`)).body;
  expect(shown.has_trigger_token).toBe(true);
  expect(JSON.stringify(shown)).not.toContain(token);

  const trigger = (taskId: string, headers: Record<string, string>, body: unknown = { variables: { version: '1.2.3' } }) =>
    fetch(`${server.url}/api/v1/tasks/${taskId}/trigger`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

  const started = await trigger(task.id, { 'x-agentd-trigger-token': token });
  expect(started.status).toBe(202);
  expect(started.body).toMatchObject({ task_id: task.id, trigger: 'webhook', status: 'pending' });
  const execution = await finishedExecution(alice, started.body.id);
  expect(execution.status).toBe('completed');
  expect((await alice.get(`/api/v1/sessions/${execution.session_id}`)).body.user_id).toBe(alice.userId);

  for (const [taskId, headers] of [
    [task.id, {}],
    [task.id, { 'x-agentd-trigger-token': `${token}x` }],
    [other.id, { 'x-agentd-trigger-token': token }],
    [randomUUID(), { 'x-agentd-trigger-token': token }],
    [task.id, { authorization: `Bearer ${alice.token}` }],
  ] as const) {
    const refused = await trigger(taskId, headers);
    expect(refused.status).toBe(401);
    expect(refused.body.error_code).toBe('TRIGGER_TOKEN_INVALID');
  }
  const missing = await trigger(task.id, { 'x-agentd-trigger-token': token }, { variables: {} });
  expect(missing.status).toBe(422);
  expect(missing.body.error_code).toBe('TEMPLATE_VARIABLE_MISSING');

  // A new token replaces the old one; revoking leaves none.
  const renewed = (await alice.post(`/api/v1/tasks/${task.id}/trigger-token`)).body.token;
  expect((await trigger(task.id, { 'x-agentd-trigger-token': token })).status).toBe(401);
  expect((await alice.delete(`/api/v1/tasks/${task.id}/trigger-token`)).status).toBe(204);
  expect((await trigger(task.id, { 'x-agentd-trigger-token': renewed })).status).toBe(401);
  const executions = (await alice.get(`/api/v1/tasks/${task.id}/executions`)).body;
  expect(executions.items.map((e: any) => e.trigger)).toEqual(['webhook']);
  const audit = (await alice.get('/api/v1/audit-logs?limit=100')).body.items.map((a: any) => a.event_type);
  expect(audit).toEqual(expect.arrayContaining(['task.trigger_token_issued', 'task.trigger_token_revoked']));
});
