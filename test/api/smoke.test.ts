import { afterAll, beforeAll, expect, test } from 'vitest';
import { newUser, startServer, type TestServer } from '../support/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

test('a new user creates and reads a session', async () => {
  const alice = await newUser(server.url);
  const created = await alice.post('/api/v1/sessions', { name: 'first' });
  expect(created.status).toBe(201);
  expect(created.body.status).toBe('created');
  const read = await alice.get(`/api/v1/sessions/${created.body.id}`);
  expect(read.body.name).toBe('first');
});
