import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createPostgresDatabase } from '../support/database.ts';
import { newUser, startWithAdmin, updateUser, type Client, type TestServer } from '../support/server.ts';
import { finishedExecution } from '../support/tasks.ts';

// On PostgreSQL this file gets a database of its own: any server that sees a scheduled task fires it.
let database: Awaited<ReturnType<typeof createPostgresDatabase>> | undefined;
let server: TestServer;
let admin: Client;
beforeAll(async () => {
  database = process.env.DATABASE_URL ? await createPostgresDatabase(process.env.DATABASE_URL) : undefined;
  ({ server, admin } = await startWithAdmin(database ? { DATABASE_URL: database.url } : {}));
});
afterAll(async () => {
  await server.close();
  await database?.drop();
});

const everyMinute = (user: Client, name: string) =>
  user.post('/api/v1/tasks', { name: `${name}-${randomUUID().slice(0, 6)}`, prompt_template: 'Scheduled: {{ note | default: "no note" }}', is_scheduled: true, schedule_cron: '* * * * *' }).then((r) => r.body);

async function executionsOf(user: Client, taskId: string) {
  return (await user.get(`/api/v1/tasks/${taskId}/executions?limit=100`)).body.items as any[];
}

test('the scheduler runs a task at its cron instant with trigger "scheduled"; disabled and deleted tasks, and tasks of disabled users, do not run', { timeout: 150_000 }, async () => {
  const alice = await newUser(server.url);
  const bob = await newUser(server.url);
  const bobs = await everyMinute(bob, 'owner-disabled');
  await updateUser(admin, bob.userId, { is_active: false });
  const scheduled = await everyMinute(alice, 'on');
  const disabled = await everyMinute(alice, 'off');
  const deleted = await everyMinute(alice, 'gone');
  const first = new Date(scheduled.next_run_at);
  expect(first.getUTCSeconds()).toBe(0);
  expect(first.getTime() - Date.now()).toBeLessThanOrEqual(60_000);

  const off = await alice.patch(`/api/v1/tasks/${disabled.id}`, { schedule_enabled: false });
  expect(off.body).toMatchObject({ schedule_enabled: false, next_run_at: null });
  expect((await alice.delete(`/api/v1/tasks/${deleted.id}`)).status).toBe(204);

  // The first tick comes at the next minute; wait for it, then for the run to finish.
  let runs: any[] = [];
  for (let waited = 0; runs.length === 0; waited += 500) {
    if (waited > 90_000) throw new Error('the scheduler did not fire within 90 s');
    await new Promise((r) => setTimeout(r, 500));
    runs = await executionsOf(alice, scheduled.id);
  }
  const run = await finishedExecution(alice, runs[0].id);
  expect(run).toMatchObject({ trigger: 'scheduled', status: 'completed', scheduled_for: first.toISOString(), variables: {} });
  const model = (await alice.get(`/api/v1/sessions/${run.session_id}/messages`)).body.items.map((m: any) => JSON.stringify(m.content)).join('\n');
  expect(model).toContain('Scheduled: no note');
  // The task now shows the tick after the one that ran.
  const after = (await alice.get(`/api/v1/tasks/${scheduled.id}`)).body;
  expect(new Date(after.next_run_at).getTime()).toBeGreaterThanOrEqual(first.getTime() + 60_000);

  // One tick, one execution: nothing else ran for it, and nothing at all for the disabled task.
  expect(await executionsOf(alice, scheduled.id)).toHaveLength(1);
  expect(await executionsOf(alice, disabled.id)).toHaveLength(0);
  expect(await executionsOf(admin, bobs.id)).toHaveLength(0);
  const audit = (await alice.get('/api/v1/audit-logs?limit=100')).body.items;
  expect(audit.filter((a: any) => a.event_type === 'task.executed' && a.resource_id === deleted.id)).toEqual([]);
});
