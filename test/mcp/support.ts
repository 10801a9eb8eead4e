import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { expect } from 'vitest';
import { client, startServer, type TestServer } from '../support/server.ts';

const require = createRequire(import.meta.url);

/** The npm package's real stdio MCP server, run by this Node (never through npx, which would reach the network). */
export const everythingServer = {
  command: process.execPath,
  args: [path.join(path.dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')), 'dist', 'index.js'), 'stdio'],
};

export const uniqueName = (prefix = 'srv') => `${prefix}-${randomUUID().slice(0, 8)}`;

/** A server with a bootstrap admin, and a client logged in as that admin. */
export async function startWithAdmin(env: Record<string, string> = {}): Promise<{ server: TestServer; admin: ReturnType<typeof client> }> {
  const credentials = { email: `admin-${randomUUID().slice(0, 8)}@example.test`, password: 'admin-password-123' };
  const server = await startServer({ env: { AGENTD_ADMIN_EMAIL: credentials.email, AGENTD_ADMIN_PASSWORD: credentials.password, ...env } });
  const login = await client(server.url).post('/api/v1/auth/login', credentials);
  if (login.status !== 200) throw new Error(`admin login failed: ${login.status}`);
  return { server, admin: client(server.url, login.body.access_token) };
}

/** Neither the body nor any header of a response holds the secret. */
export function expectNoSecret(response: { body: unknown; headers: Headers }, ...secrets: string[]) {
  const seen = JSON.stringify(response.body) + JSON.stringify([...response.headers.entries()]);
  for (const secret of secrets) expect(seen).not.toContain(secret);
}
