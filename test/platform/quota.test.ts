import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { newUser, startServer, type TestServer } from '../support/server.ts';
import { expectError } from './support/expect-error.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

test('20 parallel creates yield exactly the 5 allowed sessions; a delete frees one slot', async () => {
  const user = await newUser(server.url, 'quota');
  const sessionsDir = path.join(server.dataDir, 'sessions');
  const dirsBefore: string[] = await readdir(sessionsDir).catch(() => []);
  const attempts = await Promise.all(Array.from({ length: 20 }, (_, i) => user.post('/api/v1/sessions', { name: `race ${i}` })));

  const created = attempts.filter((r) => r.status === 201);
  const refused = attempts.filter((r) => r.status !== 201);
  expect(created).toHaveLength(5);
  expect(refused).toHaveLength(15);
  for (const response of refused) expectError(response, 429, 'QUOTA_EXCEEDED');

  const listed = await user.get('/api/v1/sessions?status=created');
  expect(listed.body.total).toBe(5);
  // Refused attempts leave no working directory behind.
  const dirs = await readdir(sessionsDir);
  expect(dirs.filter((d) => !dirsBefore.includes(d)).sort()).toEqual(created.map((r) => r.body.id).sort());

  expectError(await user.post('/api/v1/sessions'), 429, 'QUOTA_EXCEEDED');
  expect((await user.delete(`/api/v1/sessions/${created[0]!.body.id}`)).status).toBe(204);
  expect((await user.post('/api/v1/sessions', { name: 'after a delete' })).status).toBe(201);
  expectError(await user.post('/api/v1/sessions'), 429, 'QUOTA_EXCEEDED');

  const audit = await user.get('/api/v1/audit-logs?event_type=quota.exceeded&limit=100');
  expect(audit.body.total).toBe(17);
  expect(audit.body.items[0]).toMatchObject({ user_id: user.userId, category: 'session', details: { quota: 'concurrent_sessions', limit: 5, current: 5 } });
});

test('the quota is per user: another user still creates', async () => {
  const other = await newUser(server.url, 'quota-other');
  expect((await other.post('/api/v1/sessions')).status).toBe(201);
});
