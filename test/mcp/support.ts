import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { expect } from 'vitest';


const require = createRequire(import.meta.url);

/** The npm package's real stdio MCP server, run by this Node (never through npx, which would reach the network). */
export const everythingServer = {
  command: process.execPath,
  args: [path.join(path.dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')), 'dist', 'index.js'), 'stdio'],
};

export const uniqueName = (prefix = 'srv') => `${prefix}-${randomUUID().slice(0, 8)}`;

/** Neither the body nor any header of a response holds the secret. */
export function expectNoSecret(response: { body: unknown; headers: Headers }, ...secrets: string[]) {
  const seen = JSON.stringify(response.body) + JSON.stringify([...response.headers.entries()]);
  for (const secret of secrets) expect(seen).not.toContain(secret);
}
