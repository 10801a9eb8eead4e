// End to end through the real agent binary: the scripted server must be good
// enough that the SDK runs tools, prices the turn and reports errors.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query, type SDKMessage, type SDKResultMessage } from '@anthropic-ai/claude-agent-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelServer, type ModelServer } from '../../src/model-server/server.ts';

let server: ModelServer;
let dir: string;

beforeAll(async () => {
  server = await startModelServer();
  dir = await mkdtemp(join(tmpdir(), 'model-server-'));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function runAgent(prompt: string): Promise<{ messages: SDKMessage[]; result: SDKResultMessage | undefined }> {
  const q = query({
    prompt,
    options: {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        CLAUDE_CONFIG_DIR: join(dir, 'cfg'),
        ANTHROPIC_BASE_URL: server.url,
        ANTHROPIC_API_KEY: 'scripted',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        DISABLE_TELEMETRY: '1',
        DISABLE_ERROR_REPORTING: '1',
        DISABLE_AUTOUPDATER: '1',
        CLAUDE_CODE_MAX_RETRIES: '0',
      },
      settingSources: [],
      // Allowing the one tool avoids bypassPermissions, which needs IS_SANDBOX as root.
      allowedTools: ['Write'],
      model: 'claude-sonnet-4-5',
    },
  });
  const messages: SDKMessage[] = [];
  try {
    for await (const message of q) messages.push(message);
  } catch {
    // The generator throws after yielding an error result; the result is what counts.
  } finally {
    q.close();
  }
  const result = messages.find((m): m is SDKResultMessage => m.type === 'result');
  return { messages, result };
}

describe('the real agent against the scripted model server', () => {
  it('runs a scripted Write tool call and finishes with a priced success', async () => {
    const { result } = await runAgent('!tool Write {"file_path":"$CWD/hello.txt","content":"hi"}');
    expect(await readFile(join(dir, 'hello.txt'), 'utf8')).toBe('hi');
    expect(result).toMatchObject({ type: 'result', subtype: 'success', is_error: false });
    expect(result?.subtype === 'success' ? result.result : '').toMatch(/^done: File created successfully/);
    expect(result?.total_cost_usd).toBeGreaterThan(0);
    // Two model requests: the tool call and, after its result, the final text.
    const mine = server.requests.filter((r) => r.promptText.startsWith('!tool Write'));
    expect(mine).toHaveLength(2);
    expect(mine[0]?.sessionId).toBe(result?.session_id);
  });

  it('ends with an error result for a scripted !error 500', async () => {
    const { result } = await runAgent('!error 500 boom');
    expect(result).toMatchObject({ type: 'result', is_error: true });
    expect(result?.subtype === 'success' ? result.result : JSON.stringify(result)).toContain('500 boom');
  });
});
