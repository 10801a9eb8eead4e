import { afterAll, beforeAll, expect, test } from 'vitest';
import { newUser, type Client, type TestServer, startWithAdmin } from '../support/server.ts';
import { everythingServer, expectNoSecret, uniqueName } from './support.ts';

let server: TestServer;
let user: Client & { userId: string };
beforeAll(async () => {
  // 127.0.0.2 stands for a range the operator shuts off (by default: link-local, where cloud metadata answers).
  ({ server } = await startWithAdmin({ AGENTD_MCP_HEALTH_TIMEOUT_SECONDS: '5', AGENTD_OUTBOUND_DENY: '169.254.0.0/16,127.0.0.2' }));
  user = await newUser(server.url);
});
afterAll(() => server.close());

const register = async (body: Record<string, unknown>) => {
  const created = await user.post('/api/v1/mcp-servers', { name: uniqueName(), ...body });
  expect(created.status).toBe(201);
  return created.body;
};

test('a real stdio MCP server from npm is healthy, lists its tools, and the result is stored on the server', async () => {
  const registered = await register({ server_type: 'stdio', ...everythingServer, env: { EVERYTHING_TOKEN: 'unused-secret-value' } });
  const health = await user.post(`/api/v1/mcp-servers/${registered.id}/health-check`);
  expect(health.status).toBe(200);
  expect(health.body).toMatchObject({ status: 'healthy' });
  expect(health.body.tools).toEqual(expect.arrayContaining(['echo', 'get-sum']));
  expect(health.body.latency_ms).toBeGreaterThan(0);
  expect(health.body.error).toBeUndefined();
  const read = await user.get(`/api/v1/mcp-servers/${registered.id}`);
  expect(read.body.last_health).toEqual(health.body);
  expectNoSecret(read, 'unused-secret-value');
});

test('a command that does not exist is unhealthy with a clear error', async () => {
  const registered = await register({ server_type: 'stdio', command: 'agentd-no-such-mcp-server', args: ['--stdio'] });
  const health = await user.post(`/api/v1/mcp-servers/${registered.id}/health-check`);
  expect(health.status).toBe(200);
  expect(health.body).toMatchObject({ status: 'unhealthy', tools: [], error: 'command not found: agentd-no-such-mcp-server' });
  expect((await user.get(`/api/v1/mcp-servers/${registered.id}`)).body.last_health).toMatchObject({ status: 'unhealthy' });
});

test("a stdio server's environment is only its own env plus PATH, and its secrets are masked in the error it causes", async () => {
  const token = `tok-${uniqueName()}`;
  const script = 'console.error(Object.keys(process.env).sort().join(",") + " " + process.env.SERVICE_TOKEN); process.exit(3)';
  const registered = await register({ server_type: 'stdio', command: process.execPath, args: ['-e', script], env: { SERVICE_TOKEN: token } });
  const health = await user.post(`/api/v1/mcp-servers/${registered.id}/health-check`);
  expect(health.body.status).toBe('unhealthy');
  expect(health.body.error).toContain('stderr: PATH,SERVICE_TOKEN ********');
  expectNoSecret(health, token);
});

test('a server that never answers is unhealthy at the configured timeout, and leaves no process behind', async () => {
  const marker = uniqueName('hung');
  const registered = await register({ server_type: 'stdio', command: process.execPath, args: ['-e', `setTimeout(() => {}, 600000) // ${marker}`] });
  const started = Date.now();
  const health = await user.post(`/api/v1/mcp-servers/${registered.id}/health-check`);
  expect(health.body).toMatchObject({ status: 'unhealthy' });
  expect(health.body.error).toMatch(/5000 ms|timed out/i);
  expect(Date.now() - started).toBeLessThan(9000);
  const { execFileSync } = await import('node:child_process');
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(marker);
});

test('a remote server that refuses connections is unhealthy, its header secrets masked', async () => {
  const registered = await register({ server_type: 'http', url: 'http://127.0.0.1:9/mcp', headers: { Authorization: 'Bearer remote-secret-value' } });
  const health = await user.post(`/api/v1/mcp-servers/${registered.id}/health-check`);
  expect(health.body).toMatchObject({ status: 'unhealthy', tools: [] });
  expect(health.body.error).toMatch(/ECONNREFUSED|fetch failed/);
  expectNoSecret(health, 'remote-secret-value');
});

test('a remote server in a denied address range is unhealthy without being contacted', async () => {
  const registered = await register({ server_type: 'sse', url: 'http://127.0.0.2:9/sse' });
  const health = await user.post(`/api/v1/mcp-servers/${registered.id}/health-check`);
  expect(health.body).toMatchObject({ status: 'unhealthy', tools: [] });
  expect(health.body.error).toMatch(/127\.0\.0\.2.*AGENTD_OUTBOUND_DENY/);
});
