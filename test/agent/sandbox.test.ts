import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { newUser, startServer, type Client, type TestServer } from '../support/server.ts';

/**
 * Agents confined with bubblewrap (AGENTD_AGENT_SANDBOX=bwrap): what a user's agent tries through
 * Bash must not reach the server, its data or other users. Needs bwrap (CI installs it).
 */
const hasBwrap = spawnSync('bwrap', ['--version']).status === 0;

let confined: TestServer;
let open: TestServer;
beforeAll(async () => {
  if (!hasBwrap) return;
  confined = await startServer({ env: { AGENTD_AGENT_SANDBOX: 'bwrap' } });
  open = await startServer({ env: { AGENTD_AGENT_SANDBOX: 'off' } });
});
afterAll(async () => {
  await confined?.close();
  await open?.close();
});

const bash = (command: string) => `!tool Bash ${JSON.stringify({ command })}`;

/** Runs one Bash command through the agent and returns what the tool printed. */
async function run(user: Client, sessionId: string, command: string): Promise<string> {
  const turn = await user.post(`/api/v1/sessions/${sessionId}/query`, { message: bash(command) });
  expect(turn.status, JSON.stringify(turn.body)).toBe(200);
  expect(turn.body.tool_calls).toHaveLength(1);
  const calls = (await user.get(`/api/v1/sessions/${sessionId}/tool-calls?limit=100`)).body.items;
  return JSON.stringify(calls.find((c: any) => c.tool_use_id === turn.body.tool_calls[0].tool_use_id)?.output ?? null);
}

async function bashSession(server: TestServer) {
  const user = await newUser(server.url);
  const session = (await user.post('/api/v1/sessions', { sdk_options: { allowed_tools: ['Bash', 'Write'], permission_mode: 'bypassPermissions' } })).body;
  return { user, session };
}

test.runIf(hasBwrap)('a confined agent works in its own directory, and reaches neither the network, the server, its data nor other users (skipped without bwrap)', async () => {
  const { user, session } = await bashSession(confined);
  const other = await bashSession(confined);
  await run(other.user, other.session.id, 'echo other-users-secret > mine.txt');

  // What it should do, it does: write in its working directory, answer through the model.
  expect(await run(user, session.id, 'echo hello > note.txt && cat note.txt')).toContain('hello');
  expect(existsSync(path.join(session.working_directory_path, 'note.txt'))).toBe(true);

  const escapes: Record<string, string> = {
    // The server's own port on loopback: listening for sure (so is the database's, in CI).
    network: `exec 3<>/dev/tcp/127.0.0.1/${new URL(confined.url).port} && echo CONNECTED || echo BLOCKED`,
    serverSecrets: `cat ${path.join(confined.dataDir, 'jwt.secret')} ${path.join(confined.dataDir, 'secrets.secret')} 2>&1; echo END`,
    otherUser: `cat ${path.join(other.session.working_directory_path, 'mine.txt')} 2>&1; echo END`,
    serverProcess: `cat /proc/${process.pid}/environ 2>&1 | tr '\\0' '\\n' | head -5; ps -e -o pid= | wc -l`,
    writeOutside: `touch /usr/pwned 2>&1; touch ${path.join(confined.dataDir, 'pwned')} 2>&1; echo END`,
    apiKey: 'echo "key=$ANTHROPIC_API_KEY"',
  };
  const seen: Record<string, string> = {};
  for (const [name, command] of Object.entries(escapes)) seen[name] = await run(user, session.id, command);

  expect(seen.network).toContain('BLOCKED');
  expect(seen.serverSecrets).toMatch(/No such file/);
  expect(seen.otherUser).toMatch(/No such file/);
  expect(seen.otherUser).not.toContain('other-users-secret');
  expect(seen.serverProcess).not.toMatch(/JWT_SECRET|DATABASE_URL|PATH=/);
  expect(seen.writeOutside).toMatch(/Read-only file system|No such file/);
  expect(existsSync('/usr/pwned')).toBe(false);
  expect(existsSync(path.join(confined.dataDir, 'pwned'))).toBe(false);
  expect(seen.apiKey).toContain('key=held-by-agentd');
});

test.runIf(hasBwrap)('the same command without confinement does reach the port: the test above can fail', async () => {
  const { user, session } = await bashSession(open);
  expect(await run(user, session.id, `exec 3<>/dev/tcp/127.0.0.1/${new URL(open.url).port} && echo CONNECTED || echo BLOCKED`)).toContain('CONNECTED');
});
