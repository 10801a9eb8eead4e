import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { client, newUser, startServer, type TestServer } from '../support/server.ts';

const secrets = {
  JWT_SECRET: 'jwt-secret-that-agents-must-never-see-0123456789',
  AGENTD_ADMIN_EMAIL: 'root-admin@example.test',
  AGENTD_ADMIN_PASSWORD: 'admin-password-agents-must-never-see',
};

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ env: secrets });
});
afterAll(() => server.close());

test("the agent's Bash sees none of the server's secrets", async () => {
  const alice = await newUser(server.url);
  const session = (await alice.post('/api/v1/sessions', { sdk_options: { allowed_tools: ['Bash'] } })).body;
  const turn = await alice.post(`/api/v1/sessions/${session.id}/query`, { message: '!tool Bash {"command":"env"}' });
  expect(turn.status).toBe(200);
  const calls = (await alice.get(`/api/v1/sessions/${session.id}/tool-calls`)).body;
  const output = JSON.stringify(calls.items[0].output);
  expect(calls.items[0].status).toBe('success');
  expect(output).toContain('CLAUDE_CONFIG_DIR');
  for (const value of Object.values(secrets)) expect(output).not.toContain(value);
  for (const name of ['JWT_SECRET', 'DATABASE_URL', 'REDIS_URL', 'AGENTD_ADMIN_PASSWORD']) expect(output).not.toContain(`${name}=`);
  if (process.env.DATABASE_URL) expect(output).not.toContain(process.env.DATABASE_URL);
});

test('a disallowed tool never runs and is recorded as denied, with a decision and an audit row', async () => {
  const alice = await newUser(server.url);
  const session = (await alice.post('/api/v1/sessions', { sdk_options: { disallowed_tools: ['Bash'] } })).body;
  const marker = path.join(session.working_directory_path, 'should-not-exist');
  const turn = await alice.post(`/api/v1/sessions/${session.id}/query`, { message: `!tool Bash {"command":"touch ${marker}"}` });
  expect(turn.status).toBe(200);
  expect(existsSync(marker)).toBe(false);
  expect(turn.body.tool_calls).toMatchObject([{ tool_name: 'Bash', status: 'denied' }]);
  const calls = (await alice.get(`/api/v1/sessions/${session.id}/tool-calls`)).body;
  expect(calls.items[0]).toMatchObject({ tool_name: 'Bash', status: 'denied', permission_decision: 'deny' });
  const decisions = (await alice.get(`/api/v1/sessions/${session.id}/permissions`)).body;
  expect(decisions.items).toEqual(expect.arrayContaining([expect.objectContaining({ tool_name: 'Bash', decision: 'deny' })]));
  const audit = (await alice.get('/api/v1/audit-logs?event_type=tool.permission_denied')).body;
  expect(audit.items.some((row: any) => row.resource_id === session.id)).toBe(true);
});

test('another user cannot see, message or delete a session', async () => {
  const alice = await newUser(server.url);
  const bob = await newUser(server.url);
  const session = (await alice.post('/api/v1/sessions', {})).body;
  for (const response of [
    await bob.get(`/api/v1/sessions/${session.id}`),
    await bob.post(`/api/v1/sessions/${session.id}/query`, { message: 'hi' }),
    await bob.get(`/api/v1/sessions/${session.id}/messages`),
    await bob.post(`/api/v1/sessions/${session.id}/fork`, {}),
    await bob.delete(`/api/v1/sessions/${session.id}`),
  ]) {
    expect(response.status).toBe(404);
    expect(response.body.error_code).toBe('SESSION_NOT_FOUND');
  }
  expect((await client(server.url).post(`/api/v1/sessions/${session.id}/query`, { message: 'hi' })).status).toBe(401);
});
