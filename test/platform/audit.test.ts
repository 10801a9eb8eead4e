import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { client, newUser, startServer, type Client, type TestServer } from '../support/server.ts';

const adminEmail = `auditor-${randomUUID().slice(0, 8)}@example.test`;
const adminPassword = 'auditor password 1';

type User = Awaited<ReturnType<typeof newUser>>;
let server: TestServer;
let admin: Client;
let alice: User;
let bob: User;
let aliceSession: string;

beforeAll(async () => {
  server = await startServer({ env: { AGENTD_ADMIN_EMAIL: adminEmail, AGENTD_ADMIN_PASSWORD: adminPassword } });
  admin = client(server.url, (await client(server.url).post('/api/v1/auth/login', { email: adminEmail, password: adminPassword })).body.access_token);
  alice = await newUser(server.url, 'audit-alice');
  bob = await newUser(server.url, 'audit-bob');
  await client(server.url).post('/api/v1/auth/login', { email: alice.email, password: 'wrong password!' });
  aliceSession = (await alice.post('/api/v1/sessions', { name: 'audited' })).body.id;
  await alice.delete(`/api/v1/sessions/${aliceSession}`);
  await bob.post('/api/v1/sessions');
});
afterAll(() => server.close());

const eventsOf = (page: { items: Array<{ event_type: string }> }) => page.items.map((row) => row.event_type);

test('register, login, a failed login and a session\'s life each leave a row', async () => {
  const own = await alice.get('/api/v1/audit-logs?limit=100');
  expect(own.status).toBe(200);
  expect(eventsOf(own.body)).toEqual(['session.terminated', 'session.created', 'auth.login_failed', 'auth.login', 'user.registered']);
  const byType = Object.fromEntries(own.body.items.map((row: any) => [row.event_type, row]));
  expect(byType['user.registered']).toMatchObject({ category: 'authentication', user_id: alice.userId, resource_type: 'user', resource_id: alice.userId });
  expect(byType['auth.login_failed']).toMatchObject({ category: 'authentication', details: { reason: 'bad_credentials' } });
  expect(byType['auth.login_failed'].details).not.toHaveProperty('password');
  expect(byType['session.created']).toMatchObject({ category: 'session', resource_type: 'session', resource_id: aliceSession });
  expect(byType['session.terminated']).toMatchObject({ resource_id: aliceSession, details: { reason: expect.any(String) } });
  expect(byType['auth.login'].ip).toMatch(/127\.0\.0\.1/);
});

test('a user sees only their own rows, whatever user_id they ask for', async () => {
  const own = await alice.get('/api/v1/audit-logs?limit=100');
  const asked = await alice.get(`/api/v1/audit-logs?limit=100&user_id=${bob.userId}`);
  expect(asked.status).toBe(200);
  expect(asked.body.total).toBe(own.body.total);
  expect(new Set(asked.body.items.map((row: any) => row.user_id))).toEqual(new Set([alice.userId]));
});

test('a user filters their rows by event type', async () => {
  const filtered = await alice.get('/api/v1/audit-logs?event_type=session.created');
  expect(filtered.body.total).toBe(1);
  expect(filtered.body.items[0].resource_id).toBe(aliceSession);
});

test('an admin sees everyone\'s rows and filters them by user and event type', async () => {
  const ofBob = await admin.get(`/api/v1/audit-logs?user_id=${bob.userId}&limit=100`);
  expect(ofBob.status).toBe(200);
  expect(eventsOf(ofBob.body)).toEqual(['session.created', 'auth.login', 'user.registered']);
  const ofAlice = await admin.get(`/api/v1/audit-logs?user_id=${alice.userId}&event_type=session.terminated`);
  expect(ofAlice.body.items).toEqual([expect.objectContaining({ user_id: alice.userId, resource_id: aliceSession })]);
  const everyone = await admin.get('/api/v1/audit-logs?limit=1');
  // The shared database may hold other tests' rows too: at least alice's, bob's and the admin's own.
  expect(everyone.body.total).toBeGreaterThanOrEqual(ofBob.body.total + 5 + 1);
  // Newest first: this file's rows are on the first page even in a shared database.
  const created = await admin.get('/api/v1/audit-logs?event_type=session.created&limit=100');
  expect(new Set(created.body.items.map((row: any) => row.event_type))).toEqual(new Set(['session.created']));
  expect(created.body.items.map((row: any) => row.user_id)).toEqual(expect.arrayContaining([alice.userId, bob.userId]));
});
