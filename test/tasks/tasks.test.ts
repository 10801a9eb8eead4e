import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectError } from '../platform/support/expect-error.ts';
import { newUser, startServer, type Client, type TestServer } from '../support/server.ts';

let server: TestServer;
let alice: Client & { userId: string };
beforeAll(async () => {
  server = await startServer();
  alice = await newUser(server.url, 'tasks');
});
afterAll(() => server.close());

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const unique = (label: string) => `${label}-${Math.random().toString(36).slice(2, 8)}`;

async function makeTask(owner: Client, body: Record<string, unknown> = {}) {
  const created = await owner.post('/api/v1/tasks', { name: unique('task'), prompt_template: 'Summarise {{ topic }}.', ...body });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

describe('CRUD', () => {
  test('creates with every field', async () => {
    const created = await alice.post('/api/v1/tasks', {
      name: 'Weekly digest',
      description: 'Summarises the week',
      prompt_template: 'Write a {{ style | default: "short" }} digest of {{ repo.name }} for {{ audience }}.{% for item in items %} - {{ item }}{% endfor %}',
      allowed_tools: ['Read', 'Grep'],
      disallowed_tools: ['Bash'],
      sdk_options: { max_turns: 5, model: 'claude-sonnet-4-5' },
      is_scheduled: true,
      schedule_cron: '0 9 * * 1',
      timezone: 'Europe/Berlin',
      generate_report: true,
      report_format: 'markdown',
      notification_config: { webhook_url: 'https://hooks.example.test/agentd', secret: 'a-signing-secret-of-length' },
      tags: ['weekly', 'digest'],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(uuid),
      user_id: alice.userId,
      name: 'Weekly digest',
      description: 'Summarises the week',
      variables: ['style', 'repo', 'audience', 'items'],
      allowed_tools: ['Read', 'Grep'],
      disallowed_tools: ['Bash'],
      sdk_options: { max_turns: 5, model: 'claude-sonnet-4-5' },
      is_scheduled: true,
      schedule_cron: '0 9 * * 1',
      schedule_enabled: true,
      timezone: 'Europe/Berlin',
      generate_report: true,
      report_format: 'markdown',
      // The secret is never shown again.
      notification_config: { webhook_url: 'https://hooks.example.test/agentd', secret: '****' },
      has_trigger_token: false,
      tags: ['weekly', 'digest'],
      is_active: true,
    });
    // Mondays at 09:00 in Berlin: 07:00 or 08:00 UTC, within the coming week.
    const next = new Date(created.body.next_run_at);
    expect(next.getUTCDay()).toBe(1);
    expect([7, 8]).toContain(next.getUTCHours());
    expect(next.getUTCMinutes()).toBe(0);
    expect(next.getTime() - Date.now()).toBeGreaterThan(0);
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(7 * 24 * 3600 * 1000);
    expect((await alice.get(`/api/v1/tasks/${created.body.id}`)).body).toEqual(created.body);
  });

  test('defaults', async () => {
    const task = await makeTask(alice);
    expect(task).toMatchObject({
      description: null,
      variables: ['topic'],
      allowed_tools: [],
      disallowed_tools: [],
      sdk_options: {},
      is_scheduled: false,
      schedule_cron: null,
      schedule_enabled: false,
      timezone: 'UTC',
      next_run_at: null,
      generate_report: false,
      report_format: 'json',
      notification_config: null,
      tags: [],
      is_active: true,
    });
  });

  test('PATCH changes only what it names and lists the new variables', async () => {
    const task = await makeTask(alice, { tags: ['a'] });
    const changed = await alice.patch(`/api/v1/tasks/${task.id}`, { prompt_template: 'Check {{ host }} on port {{ port | default: 22 }}', report_format: 'pdf', tags: ['b', 'c'], description: 'ports' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ name: task.name, variables: ['host', 'port'], report_format: 'pdf', tags: ['b', 'c'], description: 'ports' });
    expect(Date.parse(changed.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(task.updated_at));
    const cleared = await alice.patch(`/api/v1/tasks/${task.id}`, { description: null, notification_config: null });
    expect(cleared.body).toMatchObject({ description: null, notification_config: null, report_format: 'pdf' });
  });

  test('lists own tasks, newest first, filtered by tag and activity', async () => {
    const bob = await newUser(server.url, 'tasks-list');
    const tag = unique('tag');
    const a = await makeTask(bob, { tags: [tag] });
    const b = await makeTask(bob, { tags: [tag, 'other'], is_active: false });
    const c = await makeTask(bob);
    const all = await bob.get('/api/v1/tasks');
    expect(all.body).toMatchObject({ total: 3, skip: 0, limit: 20 });
    expect(all.body.items.map((t: any) => t.id)).toEqual([c.id, b.id, a.id]);
    expect(all.body.items[0].variables).toEqual(['topic']);
    expect((await bob.get(`/api/v1/tasks?tag=${tag}`)).body.items.map((t: any) => t.id)).toEqual([b.id, a.id]);
    expect((await bob.get(`/api/v1/tasks?tag=${tag}&is_active=true`)).body.items.map((t: any) => t.id)).toEqual([a.id]);
    expect((await bob.get('/api/v1/tasks?skip=1&limit=1')).body).toMatchObject({ total: 3, items: [{ id: b.id }] });
    expect((await alice.get('/api/v1/tasks?limit=100')).body.items.map((t: any) => t.id)).not.toContain(a.id);
  });

  test('deletes', async () => {
    const task = await makeTask(alice);
    expect((await alice.delete(`/api/v1/tasks/${task.id}`)).status).toBe(204);
    expectError(await alice.get(`/api/v1/tasks/${task.id}`), 404, 'TASK_NOT_FOUND');
    expectError(await alice.delete(`/api/v1/tasks/${task.id}`), 404, 'TASK_NOT_FOUND');
  });

  test("another user's task is 404 for every operation", async () => {
    const task = await makeTask(alice);
    const mallory = await newUser(server.url, 'tasks-mallory');
    expectError(await mallory.get(`/api/v1/tasks/${task.id}`), 404, 'TASK_NOT_FOUND');
    expectError(await mallory.patch(`/api/v1/tasks/${task.id}`, { name: 'mine' }), 404, 'TASK_NOT_FOUND');
    expectError(await mallory.post(`/api/v1/tasks/${task.id}/render`, { variables: { topic: 'x' } }), 404, 'TASK_NOT_FOUND');
    expectError(await mallory.delete(`/api/v1/tasks/${task.id}`), 404, 'TASK_NOT_FOUND');
    expect((await alice.get(`/api/v1/tasks/${task.id}`)).body.name).toBe(task.name);
  });
});

describe('templates that do not parse', () => {
  test.each([
    ['an unclosed output', 'Hello {{ name', /not closed/],
    ['an unclosed block', '{% if x %}yes', /not closed/],
    ['an unknown filter', '{{ name | shout }}', /undefined filter: shout/],
    ['an unknown tag', '{% exec "ls" %}', /tag "exec" not found/],
    ['an empty condition', '{% if %}x{% endif %}', /invalid value expression/],
  ])('%s is 422 TEMPLATE_INVALID with the reason, at creation and on PATCH', async (_label, template, reason) => {
    const created = await alice.post('/api/v1/tasks', { name: unique('bad'), prompt_template: template });
    expectError(created, 422, 'TEMPLATE_INVALID');
    expect(created.body.detail).toMatch(reason);
    expect(created.body.detail).toMatch(/line:1, col:\d+/);
    const task = await makeTask(alice);
    const patched = await alice.patch(`/api/v1/tasks/${task.id}`, { prompt_template: template });
    expectError(patched, 422, 'TEMPLATE_INVALID');
    expect((await alice.get(`/api/v1/tasks/${task.id}`)).body.prompt_template).toBe(task.prompt_template);
  });
});

describe('schedules', () => {
  test.each([
    ['a minute out of range', { schedule_cron: '61 * * * *' }, /minute/],
    ['garbage', { schedule_cron: 'every day' }, /five-field cron/],
    ['seconds (six fields)', { schedule_cron: '*/5 * * * * *' }, /exactly 5 parts/],
    ['a date that never comes', { schedule_cron: '0 0 30 2 *' }, /never fires/],
    ['an unknown time zone', { schedule_cron: '0 9 * * *', timezone: 'Mars/Olympus' }, /Mars\/Olympus/],
    ['no expression', { schedule_cron: null }, /schedule_cron is required/],
  ])('%s is 422 INVALID_SCHEDULE with the reason', async (_label, schedule, reason) => {
    const created = await alice.post('/api/v1/tasks', { name: unique('cron'), prompt_template: 'x', is_scheduled: true, ...schedule });
    expectError(created, 422, 'INVALID_SCHEDULE');
    expect(created.body.detail).toMatch(reason);
  });

  test('next_run_at follows the schedule; disabling or deactivating clears it', async () => {
    const task = await makeTask(alice, { is_scheduled: true, schedule_cron: '*/5 * * * *' });
    const next = Date.parse(task.next_run_at);
    expect(next).toBeGreaterThan(Date.now());
    expect(next - Date.now()).toBeLessThanOrEqual(5 * 60_000);
    expect(new Date(next).getUTCMinutes() % 5).toBe(0);

    const off = await alice.patch(`/api/v1/tasks/${task.id}`, { schedule_enabled: false });
    expect(off.body).toMatchObject({ schedule_enabled: false, next_run_at: null, schedule_cron: '*/5 * * * *' });
    const on = await alice.patch(`/api/v1/tasks/${task.id}`, { schedule_enabled: true, schedule_cron: '@daily' });
    expect(new Date(on.body.next_run_at).toISOString()).toMatch(/T00:00:00\.000Z$/);
    const inactive = await alice.patch(`/api/v1/tasks/${task.id}`, { is_active: false });
    expect(inactive.body.next_run_at).toBeNull();
    expectError(await alice.patch(`/api/v1/tasks/${task.id}`, { schedule_cron: '99 * * * *' }), 422, 'INVALID_SCHEDULE');
    expectError(await alice.patch(`/api/v1/tasks/${task.id}`, { schedule_cron: null }), 422, 'INVALID_SCHEDULE');
    expect((await alice.get(`/api/v1/tasks/${task.id}`)).body.schedule_cron).toBe('@daily');
  });

  test('an unscheduled task may keep a cron, which is still validated', async () => {
    const task = await makeTask(alice, { schedule_cron: '0 * * * *' });
    expect(task).toMatchObject({ is_scheduled: false, schedule_enabled: false, next_run_at: null });
    expectError(await alice.post('/api/v1/tasks', { name: unique('cron'), prompt_template: 'x', schedule_cron: 'nope' }), 422, 'INVALID_SCHEDULE');
    expectError(await alice.post('/api/v1/tasks', { name: unique('tz'), prompt_template: 'x', timezone: 'Nowhere/Town' }), 422, 'INVALID_SCHEDULE');
  });
});

describe('render', () => {
  test('fills variables, loops, conditions, filters and defaults', async () => {
    const task = await makeTask(alice, {
      prompt_template:
        'Review {{ repo.name | upcase }}{% if urgent %} (urgent){% endif %} for {{ reviewer | default: "the team" }}:{% for f in files %} {{ forloop.index }}.{{ f }}{% endfor %} [{{ files | size }} files]',
    });
    expect(task.variables).toEqual(['repo', 'urgent', 'reviewer', 'files']);
    const full = await alice.post(`/api/v1/tasks/${task.id}/render`, { variables: { repo: { name: 'agentd' }, urgent: true, reviewer: 'Ada', files: ['a.ts', 'b.ts'] } });
    expect(full.status).toBe(200);
    expect(full.body).toEqual({ prompt: 'Review AGENTD (urgent) for Ada: 1.a.ts 2.b.ts [2 files]' });
    const optional = await alice.post(`/api/v1/tasks/${task.id}/render`, { variables: { repo: { name: 'x' }, files: [] } });
    expect(optional.body).toEqual({ prompt: 'Review X for the team: [0 files]' });
  });

  test('a missing variable is 422 TEMPLATE_VARIABLE_MISSING naming it', async () => {
    const task = await makeTask(alice, { prompt_template: 'Deploy {{ service }} to {{ environment }} by {{ owner.email }}' });
    const none = await alice.post(`/api/v1/tasks/${task.id}/render`, { variables: {} });
    expectError(none, 422, 'TEMPLATE_VARIABLE_MISSING');
    expect(none.body.detail).toMatch(/"service"/);
    const oneMissing = await alice.post(`/api/v1/tasks/${task.id}/render`, { variables: { service: 'api', owner: { email: 'a@b' } } });
    expectError(oneMissing, 422, 'TEMPLATE_VARIABLE_MISSING');
    expect(oneMissing.body.detail).toMatch(/"environment"/);
    const nested = await alice.post(`/api/v1/tasks/${task.id}/render`, { variables: { service: 'api', environment: 'prod', owner: {} } });
    expectError(nested, 422, 'TEMPLATE_VARIABLE_MISSING');
    expect(nested.body.detail).toMatch(/"owner\.email"/);
    expectError(await alice.post(`/api/v1/tasks/${task.id}/render`), 422, 'TEMPLATE_VARIABLE_MISSING');
  });

  test('values are text, not template code', async () => {
    const task = await makeTask(alice, { prompt_template: 'Say {{ what }}' });
    const rendered = await alice.post(`/api/v1/tasks/${task.id}/render`, { variables: { what: '{{ 7 | times: 6 }} {% include ".env" %}' } });
    expect(rendered.body).toEqual({ prompt: 'Say {{ 7 | times: 6 }} {% include ".env" %}' });
  });
});

describe('bad input is 422 (or 400 for broken JSON), never 500', () => {
  const json = { 'content-type': 'application/json' };
  test.each([
    ['no name', { prompt_template: 'x' }],
    ['no template', { name: 'x' }],
    ['an empty template', { name: 'x', prompt_template: '' }],
    ['an unknown key', { name: 'x', prompt_template: 'x', colour: 'red' }],
    ['an unknown report format', { name: 'x', prompt_template: 'x', report_format: 'docx' }],
    ['a webhook that is no URL', { name: 'x', prompt_template: 'x', notification_config: { webhook_url: 'not a url' } }],
    ['a webhook that is not http', { name: 'x', prompt_template: 'x', notification_config: { webhook_url: 'file:///etc/passwd' } }],
    ['an unknown notification key', { name: 'x', prompt_template: 'x', notification_config: { email: 'a@b' } }],
    ['a webhook secret too short to sign with', { name: 'x', prompt_template: 'x', notification_config: { webhook_url: 'https://hooks.example.test/x', secret: 'short' } }],
    ['tags that are no list', { name: 'x', prompt_template: 'x', tags: 'a,b' }],
    ['a tool list of numbers', { name: 'x', prompt_template: 'x', allowed_tools: [1, 2] }],
    ['unknown sdk_options', { name: 'x', prompt_template: 'x', sdk_options: { cwd: '/' } }],
    ['a boolean as a string', { name: 'x', prompt_template: 'x', is_scheduled: 'true' }],
    ['a template over 100k characters', { name: 'x', prompt_template: 'x'.repeat(100_001) }],
  ])('%s', async (_label, body) => {
    expectError(await alice.post('/api/v1/tasks', body), 422, 'VALIDATION_ERROR');
  });

  test('a webhook needs a secret to sign its deliveries with; a change may keep the stored one', async () => {
    const hook = { webhook_url: 'https://hooks.example.test/x' };
    expectError(await alice.post('/api/v1/tasks', { name: 'x', prompt_template: 'x', notification_config: hook }), 422, 'WEBHOOK_SECRET_REQUIRED');
    const task = await makeTask(alice);
    expectError(await alice.patch(`/api/v1/tasks/${task.id}`, { notification_config: hook }), 422, 'WEBHOOK_SECRET_REQUIRED');
    expect((await alice.patch(`/api/v1/tasks/${task.id}`, { notification_config: { ...hook, secret: 'sixteen-chars-at-least' } })).status).toBe(200);
    const moved = await alice.patch(`/api/v1/tasks/${task.id}`, { notification_config: { webhook_url: 'https://hooks.example.test/y' } });
    expect(moved.body.notification_config).toEqual({ webhook_url: 'https://hooks.example.test/y', secret: '****' });
  });

  test('render and query input', async () => {
    const task = await makeTask(alice);
    expectError(await alice.post(`/api/v1/tasks/${task.id}/render`, { variables: ['a'] }), 422, 'VALIDATION_ERROR');
    expectError(await alice.post(`/api/v1/tasks/${task.id}/render`, { variables: { topic: 'x' }, extra: 1 }), 422, 'VALIDATION_ERROR');
    expectError(await alice.raw('POST', `/api/v1/tasks/${task.id}/render`, '{"variables": {"__proto__": {"polluted": true}}}', json), 400, 'INVALID_JSON');
    expectError(await alice.raw('POST', `/api/v1/tasks/${task.id}/render`, '{"variables": {"constructor": {"prototype": {"polluted": true}}}}', json), 400, 'INVALID_JSON');
    expectError(await alice.get('/api/v1/tasks/not-a-uuid'), 422, 'VALIDATION_ERROR');
    expectError(await alice.get('/api/v1/tasks?is_active=maybe'), 422, 'VALIDATION_ERROR');
    expectError(await alice.patch(`/api/v1/tasks/${task.id}`, { next_run_at: '2030-01-01T00:00:00Z' }), 422, 'VALIDATION_ERROR');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
