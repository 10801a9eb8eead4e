import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { client, newUser, startServer, type TestServer } from '../support/server.ts';

// Always the embedded database, even where CI sets DATABASE_URL; and no configured JWT secret,
// so the one generated on first start must be found again.
const env = { DATABASE_URL: '', JWT_SECRET: '' };
let dataDir: string;
let running: TestServer | undefined;
afterAll(async () => {
  await running?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('users, sessions and tokens survive a restart on the embedded database', async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'agentd-restart-'));
  running = await startServer({ env, dataDir, freshDatabase: false });
  expect(running.container.config.DATABASE_URL).toBeUndefined();
  const user = await newUser(running.url, 'restart');
  const session = (await user.post('/api/v1/sessions', { name: 'kept' })).body;
  await running.close({ keepData: true });
  running = undefined;

  const secret = await stat(path.join(dataDir, 'jwt.secret'));
  expect(secret.mode & 0o777).toBe(0o600);

  running = await startServer({ env, dataDir, freshDatabase: false });
  const login = await client(running.url).post('/api/v1/auth/login', { email: user.email, password: user.password });
  expect(login.status).toBe(200);
  const again = client(running.url, login.body.access_token);
  const read = await again.get(`/api/v1/sessions/${session.id}`);
  expect(read.status).toBe(200);
  expect(read.body).toMatchObject({ id: session.id, name: 'kept', status: 'created', user_id: user.userId });
  expect((await stat(read.body.working_directory_path)).isDirectory()).toBe(true);
  // A token issued before the restart is still valid: the generated secret was reused.
  expect((await client(running.url, user.token).get('/api/v1/auth/me')).status).toBe(200);
});
