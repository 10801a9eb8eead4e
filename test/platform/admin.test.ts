import { afterAll, beforeAll, expect, test } from 'vitest';
import { client, newUser, startServer, type TestServer } from '../support/server.ts';

const admin = { email: `admin-${Date.now()}@example.test`, password: 'admin-password-123' };
let server: TestServer;
let root: ReturnType<typeof client>;
beforeAll(async () => {
  server = await startServer({ env: { AGENTD_ADMIN_EMAIL: admin.email, AGENTD_ADMIN_PASSWORD: admin.password } });
  const login = await client(server.url).post('/api/v1/auth/login', admin);
  root = client(server.url, login.body.access_token);
});
afterAll(() => server.close());

test('an admin sees stats, users and everyone\'s sessions; a user gets 403', async () => {
  const alice = await newUser(server.url);
  const session = (await alice.post('/api/v1/sessions', { name: 'watched' })).body;
  const stats = await root.get('/api/v1/admin/stats');
  expect(stats.status).toBe(200);
  expect(stats.body.users).toBeGreaterThanOrEqual(2);
  expect(stats.body.sessions_by_status.created).toBeGreaterThanOrEqual(1);
  const sessions = await root.get(`/api/v1/admin/sessions?user_id=${alice.userId}`);
  expect(sessions.body.items.map((s: any) => s.id)).toEqual([session.id]);
  for (const path of ['/api/v1/admin/stats', '/api/v1/admin/users', '/api/v1/admin/sessions']) {
    const refused = await alice.get(path);
    expect(refused.status).toBe(403);
    expect(refused.body.error_code).toBe('FORBIDDEN');
  }
});

test('disabling a user cuts off their tokens at once and their logins; the change is audited', async () => {
  const bob = await newUser(server.url);
  expect((await bob.get('/api/v1/auth/me')).status).toBe(200);
  const disabled = await root.patch(`/api/v1/admin/users/${bob.userId}`, { is_active: false });
  expect(disabled.status).toBe(200);
  expect(disabled.body.is_active).toBe(false);
  expect((await bob.get('/api/v1/auth/me')).status).toBe(403);
  const login = await client(server.url).post('/api/v1/auth/login', { email: bob.email, password: bob.password });
  expect(login.status).toBe(403);
  expect(login.body.error_code).toBe('ACCOUNT_DISABLED');
  const audit = await root.get(`/api/v1/audit-logs?event_type=user.updated`);
  expect(audit.body.items.some((row: any) => row.resource_id === bob.userId)).toBe(true);
});

test('a viewer reads but cannot create; an admin cannot lock themself out', async () => {
  const carol = await newUser(server.url);
  await root.patch(`/api/v1/admin/users/${carol.userId}`, { role: 'viewer' });
  expect((await carol.get('/api/v1/sessions')).status).toBe(200);
  const refused = await carol.post('/api/v1/sessions', {});
  expect(refused.status).toBe(403);
  const me = (await root.get('/api/v1/auth/me')).body;
  expect((await root.patch(`/api/v1/admin/users/${me.id}`, { role: 'user' })).status).toBe(403);
  expect((await root.patch(`/api/v1/admin/users/00000000-0000-4000-8000-000000000000`, { is_active: true })).status).toBe(404);
  expect((await root.patch(`/api/v1/admin/users/${carol.userId}`, { role: 'emperor' })).status).toBe(422);
});
