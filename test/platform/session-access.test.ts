import { afterAll, beforeAll, expect, test } from 'vitest';
import { newUser, startWithAdmin, updateUser, type Client, type TestServer } from '../support/server.ts';
import { expectError } from './support/expect-error.ts';

let server: TestServer;
let admin: Client;
let adminEmail: string;
beforeAll(async () => {
  ({ server, admin, adminEmail } = await startWithAdmin());
});
afterAll(() => server.close());

test('the bootstrap admin has the admin role', async () => {
  const me = await admin.get('/api/v1/auth/me');
  expect(me.body).toMatchObject({ email: adminEmail, role: 'admin' });
});

test('another user\'s session is not found, for reading and for deleting', async () => {
  const owner = await newUser(server.url, 'owner');
  const intruder = await newUser(server.url, 'intruder');
  const id = (await owner.post('/api/v1/sessions', { name: 'private' })).body.id;
  expectError(await intruder.get(`/api/v1/sessions/${id}`), 404, 'SESSION_NOT_FOUND');
  expectError(await intruder.delete(`/api/v1/sessions/${id}`), 404, 'SESSION_NOT_FOUND');
  const listed = await intruder.get('/api/v1/sessions');
  expect(listed.body.items.map((s: any) => s.id)).not.toContain(id);
  expect((await owner.get(`/api/v1/sessions/${id}`)).body.status).toBe('created');
});

test('an admin sees and lists any user\'s session', async () => {
  const owner = await newUser(server.url, 'watched');
  const other = await newUser(server.url, 'watched-too');
  const id = (await owner.post('/api/v1/sessions', { name: 'visible to admins' })).body.id;
  const otherId = (await other.post('/api/v1/sessions')).body.id;
  const read = await admin.get(`/api/v1/sessions/${id}`);
  expect(read.status).toBe(200);
  expect(read.body).toMatchObject({ id, user_id: owner.userId, name: 'visible to admins' });
  // Newest first: the two sessions just made are on the first page even in a shared database.
  const listed = await admin.get('/api/v1/sessions?limit=100');
  expect(listed.body.items.map((s: any) => s.id)).toEqual(expect.arrayContaining([id, otherId]));
});

test('an admin may terminate another user\'s session', async () => {
  const owner = await newUser(server.url, 'terminated-by-admin');
  const id = (await owner.post('/api/v1/sessions')).body.id;
  expect((await admin.delete(`/api/v1/sessions/${id}`)).status).toBe(204);
  expect((await owner.get(`/api/v1/sessions/${id}`)).body.status).toBe('terminated');
});

test('a viewer may read but not create or delete', async () => {
  const viewer = await newUser(server.url, 'viewer');
  const own = (await viewer.post('/api/v1/sessions', { name: 'made before demotion' })).body.id;
  await updateUser(admin, viewer.userId, { role: 'viewer' });
  expectError(await viewer.post('/api/v1/sessions', { name: 'not allowed' }), 403, 'FORBIDDEN');
  expectError(await viewer.delete(`/api/v1/sessions/${own}`), 403, 'FORBIDDEN');
  expect((await viewer.get(`/api/v1/sessions/${own}`)).body.status).toBe('created');
  const listed = await viewer.get('/api/v1/sessions');
  expect(listed.body.items.map((s: any) => s.id)).toEqual([own]);
});
