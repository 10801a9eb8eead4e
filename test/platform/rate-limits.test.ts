import { afterAll, beforeAll, expect, test } from 'vitest';
import { expectError } from './support/expect-error.ts';
import { client, newUser, startServer, type TestServer } from '../support/server.ts';

const servers: TestServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
});

async function serverWith(env: Record<string, string>) {
  const server = await startServer({ env });
  servers.push(server);
  return server;
}

/** Fixed windows reset on the minute and on the hour: start a burst well inside one. */
async function awayFromWindowEdge(windowSeconds: number) {
  const left = windowSeconds * 1000 - (Date.now() % (windowSeconds * 1000));
  if (left < 8000) await new Promise((r) => setTimeout(r, left + 200));
}

let perMinute: TestServer;
beforeAll(async () => {
  perMinute = await serverWith({ AGENTD_RATE_LIMIT_PER_MINUTE: '5', AGENTD_RATE_LIMIT_PER_HOUR: '0', AGENTD_ANONYMOUS_RATE_LIMIT_PER_MINUTE: '0' });
});

test('a user gets their requests per minute, counted down in headers, then 429 with Retry-After; another user is not affected', async () => {
  const alice = await newUser(perMinute.url, 'rl');
  const bob = await newUser(perMinute.url, 'rl');
  await awayFromWindowEdge(60);
  const remaining: string[] = [];
  for (let i = 0; i < 5; i++) {
    const response = await fetch(`${perMinute.url}/api/v1/sessions`, { headers: { authorization: `Bearer ${alice.token}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-ratelimit-limit')).toBe('5');
    remaining.push(response.headers.get('x-ratelimit-remaining')!);
  }
  expect(remaining).toEqual(['4', '3', '2', '1', '0']);
  const refused = await fetch(`${perMinute.url}/api/v1/sessions`, { headers: { authorization: `Bearer ${alice.token}` } });
  expectError({ status: refused.status, body: await refused.json(), headers: refused.headers }, 429, 'RATE_LIMITED');
  const retryAfter = Number(refused.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  // Every route of the user counts, writes too; other users keep their own allowance.
  expectError(await alice.post('/api/v1/sessions', {}), 429, 'RATE_LIMITED');
  expect((await bob.get('/api/v1/sessions')).status).toBe(200);
  // A request without a valid token is refused for that, and never counted against anyone.
  expect((await client(perMinute.url, 'not-a-token').get('/api/v1/sessions')).status).toBe(401);
});

test('an hourly limit binds on its own, with a Retry-After up to the end of the hour', async () => {
  const server = await serverWith({ AGENTD_RATE_LIMIT_PER_MINUTE: '0', AGENTD_RATE_LIMIT_PER_HOUR: '3', AGENTD_ANONYMOUS_RATE_LIMIT_PER_MINUTE: '0' });
  const carol = await newUser(server.url, 'rl');
  await awayFromWindowEdge(3600);
  for (let i = 0; i < 3; i++) expect((await carol.get('/api/v1/auth/me')).status).toBe(200);
  const refused = await carol.get('/api/v1/auth/me');
  expectError(refused, 429, 'RATE_LIMITED');
  expect(refused.body.detail).toContain('per hour');
});

test('sign-up, login, refresh and task triggers are limited per client address: a password cannot be guessed at speed', async () => {
  const server = await serverWith({ AGENTD_RATE_LIMIT_PER_MINUTE: '0', AGENTD_RATE_LIMIT_PER_HOUR: '0', AGENTD_ANONYMOUS_RATE_LIMIT_PER_MINUTE: '4' });
  await awayFromWindowEdge(60);
  const dave = await newUser(server.url, 'rl'); // register + login: 2 of the 4
  const anonymous = client(server.url);
  expect((await anonymous.post('/api/v1/auth/login', { email: dave.email, password: 'wrong-password' })).status).toBe(401);
  expect((await anonymous.post('/api/v1/auth/login', { email: dave.email, password: 'wrong-password-2' })).status).toBe(401);
  // The right password now waits too: the address used its attempts.
  expectError(await anonymous.post('/api/v1/auth/login', { email: dave.email, password: dave.password }), 429, 'RATE_LIMITED');
  expectError(await anonymous.post(`/api/v1/tasks/${crypto.randomUUID()}/trigger`, {}), 429, 'RATE_LIMITED');
  // Signed-in requests are the user's, not the address's.
  expect((await dave.get('/api/v1/auth/me')).status).toBe(200);
});

test.skipIf(!process.env.REDIS_URL || !process.env.DATABASE_URL)('servers sharing a Redis share the count: the limit holds across them', async () => {
  const shared = { AGENTD_RATE_LIMIT_PER_MINUTE: '4', AGENTD_RATE_LIMIT_PER_HOUR: '0', AGENTD_ANONYMOUS_RATE_LIMIT_PER_MINUTE: '0', AGENTD_QUEUE_PREFIX: `agentd-rl-${crypto.randomUUID().slice(0, 8)}` };
  const [one, two] = [await serverWith(shared), await serverWith(shared)];
  const erin = await newUser(one.url, 'rl');
  const onTwo = client(two.url, erin.token);
  await awayFromWindowEdge(60);
  const statuses = [];
  for (const user of [erin, onTwo, erin, onTwo, erin, onTwo]) statuses.push((await user.get('/api/v1/auth/me')).status);
  expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
});
