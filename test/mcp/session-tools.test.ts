import { afterAll, beforeAll, expect, test } from 'vitest';
import { newUser, startServer, type TestServer } from '../support/server.ts';
import { everythingServer } from './support.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

async function userWithServers(servers: Record<string, unknown>[]) {
  const user = await newUser(server.url);
  for (const definition of servers) expect((await user.post('/api/v1/mcp-servers', definition)).status).toBe(201);
  return user;
}

test("the agent calls a tool of the user's stdio MCP server; the call is stored under its full name", async () => {
  const alice = await userWithServers([
    { name: 'everything', server_type: 'stdio', ...everythingServer },
    { name: 'broken', server_type: 'stdio', command: '/nonexistent/mcp-server' },
    { name: 'off', server_type: 'stdio', ...everythingServer, is_enabled: false },
  ]);
  const session = (await alice.post('/api/v1/sessions', { sdk_options: { allowed_tools: ['mcp__everything__echo'] } })).body;
  const turn = await alice.post(`/api/v1/sessions/${session.id}/query`, { message: '!tool mcp__everything__echo {"message":"hello through MCP"}' });
  expect(turn.status).toBe(200);
  expect(turn.body.tool_calls).toMatchObject([{ tool_name: 'mcp__everything__echo', status: 'success' }]);
  expect(turn.body.content).toContain('Echo: hello through MCP');
  const calls = (await alice.get(`/api/v1/sessions/${session.id}/tool-calls`)).body.items;
  expect(calls[0]).toMatchObject({ tool_name: 'mcp__everything__echo', status: 'success', tool_input: { message: 'hello through MCP' } });

  // The failing server did not block the session; its status shows, the disabled one was never given.
  const after = (await alice.get(`/api/v1/sessions/${session.id}`)).body;
  const byName = Object.fromEntries(after.mcp_servers.map((s: any) => [s.name, s]));
  expect(byName.everything).toMatchObject({ type: 'stdio', source: 'user', status: 'connected' });
  expect(byName.broken.status).toBe('failed');
  expect(byName.off).toBeUndefined();
});

test('an MCP tool in disallowed_tools never runs and is recorded as denied', async () => {
  const bob = await userWithServers([{ name: 'everything', server_type: 'stdio', ...everythingServer }]);
  const session = (await bob.post('/api/v1/sessions', { sdk_options: { disallowed_tools: ['mcp__everything__echo'] } })).body;
  const turn = await bob.post(`/api/v1/sessions/${session.id}/query`, { message: '!tool mcp__everything__echo {"message":"should not echo"}' });
  expect(turn.body.tool_calls).toMatchObject([{ tool_name: 'mcp__everything__echo', status: 'denied' }]);
  expect(turn.body.content).not.toContain('Echo: should not echo');
  const decisions = (await bob.get(`/api/v1/sessions/${session.id}/permissions`)).body.items;
  expect(decisions).toEqual(expect.arrayContaining([expect.objectContaining({ tool_name: 'mcp__everything__echo', decision: 'deny' })]));
});

test("the built-in monitoring tools report this server's health and the calling session's own usage", async () => {
  const carol = await newUser(server.url);
  const session = (await carol.post('/api/v1/sessions', { sdk_options: { builtin_tools: ['monitoring'] } })).body;
  await carol.post(`/api/v1/sessions/${session.id}/query`, { message: 'spend a little first' });
  const usage = await carol.post(`/api/v1/sessions/${session.id}/query`, { message: '!tool mcp__monitoring__session_usage {}' });
  expect(usage.body.tool_calls).toMatchObject([{ tool_name: 'mcp__monitoring__session_usage', status: 'success' }]);
  const reported = JSON.parse((await carol.get(`/api/v1/sessions/${session.id}/tool-calls`)).body.items[0].output[0].text);
  expect(reported).toMatchObject({ session_id: session.id, messages: 3 });
  expect(reported.cost_usd).toBeGreaterThan(0);
  const health = await carol.post(`/api/v1/sessions/${session.id}/query`, { message: '!tool mcp__monitoring__server_health {}' });
  expect(health.body.content).toContain('"database": "ok"');
  const after = (await carol.get(`/api/v1/sessions/${session.id}`)).body;
  expect(after.mcp_servers).toEqual(expect.arrayContaining([{ name: 'monitoring', type: 'sdk', source: 'builtin', status: 'connected' }]));
  expect((await carol.post('/api/v1/sessions', { sdk_options: { builtin_tools: ['shell'] } })).status).toBe(422);
});
