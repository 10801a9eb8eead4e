import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { transcriptStore } from '../../src/agent/transcript-store.ts';
import { createStore } from '../../src/db/store.ts';
import { startModelServer, type ModelServer } from '../../src/model-server/server.ts';
import { testDatabase } from '../support/database.ts';
import { startServerProcess } from '../support/process.ts';
import { client, newUser, startServer, type TestServer } from '../support/server.ts';

let model: ModelServer;
let running: TestServer | undefined;
beforeAll(async () => {
  // Our own model endpoint, so the test reads what the agent sent.
  model = await startModelServer();
});
afterAll(async () => {
  await running?.close();
  await model.close();
});

const env = () => ({ ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'k' });
const lastRequestOf = (sessionId: string) => model.requests.filter((r) => r.sessionId === sessionId).at(-1);

test('after a restart that lost the local agent files, a session resumes with its whole history from the database', async () => {
  running = await startServer({ env: env() });
  const dataDir = running.dataDir;
  const alice = await newUser(running.url);
  const session = (await alice.post('/api/v1/sessions', {})).body;
  const first = await alice.post(`/api/v1/sessions/${session.id}/query`, { message: 'the code is 4711' });
  expect(first.status).toBe(200);
  // The turn is in the database by the time its answer is.
  expect(JSON.stringify(await running.container.store.transcripts.load(session.id))).toContain('the code is 4711');

  await running.close({ keepData: true });
  running = undefined;
  await rm(path.join(dataDir, 'agents'), { recursive: true, force: true });
  // PGlite reopens its files in the data dir; with DATABASE_URL the rows are on the server anyway.
  running = await startServer({ env: env(), dataDir, freshDatabase: false });

  const again = client(running.url, alice.token);
  const turn = await again.post(`/api/v1/sessions/${session.id}/query`, { message: 'what was the code?' });
  expect(turn.status).toBe(200);
  expect(turn.body.content).toBe('echo: what was the code?');
  const request = lastRequestOf(session.id);
  expect(JSON.stringify(request?.body.messages)).toContain('the code is 4711');
  expect(request?.promptText).toBe('what was the code?');
  // The agent did not find its conversation on disk: the tenant's config dir holds no transcript of it.
  expect(existsSync(path.join(dataDir, 'agents', alice.userId, 'config', 'projects'))).toBe(false);
});

// Two server processes, each creating its own embedded database: a longer timeout.
test("a server killed mid-turn: the next turn, on another machine, knows what the killed turn's tools did", async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'agentd-transcripts-'));
  const serverEnv = {
    AGENTD_DATA_DIR: dataDir,
    ANTHROPIC_BASE_URL: model.url,
    ANTHROPIC_API_KEY: 'k',
    JWT_SECRET: 'transcripts-test-secret-transcripts-test-0',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  };
  const first = await startServerProcess(serverEnv);
  let second: Awaited<ReturnType<typeof startServerProcess>> | undefined;
  try {
    const alice = await newUser(first.url);
    const session = (await alice.post('/api/v1/sessions', { sdk_options: { allowed_tools: ['Write'] } })).body;
    expect((await alice.post(`/api/v1/sessions/${session.id}/query`, { message: 'the code is 4711' })).status).toBe(200);
    const file = path.join(session.working_directory_path, 'mid-turn.txt');
    void alice.post(`/api/v1/sessions/${session.id}/query`, { message: `!tool Write {"file_path":"${file}","content":"written"}\n!delay 30000\n!text too late` }).catch(() => undefined);
    // The agent asks the model again (and waits 30 s) only once the tool's result is in its transcript;
    // the half second is for that line to reach the database.
    for (let i = 0; i < 300 && model.requests.filter((r) => r.sessionId === session.id).length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(file)).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    first.child.kill('SIGKILL');
    await first.exited;
    // The next turn runs elsewhere: nothing of the agent's own files is left to fall back on.
    await rm(path.join(dataDir, 'agents'), { recursive: true, force: true });

    second = await startServerProcess(serverEnv);
    const turn = await client(second.url, alice.token).post(`/api/v1/sessions/${session.id}/query`, { message: 'what did you write?' });
    expect(turn.status).toBe(200);
    expect(JSON.stringify(lastRequestOf(session.id)?.body.messages)).toContain('the code is 4711');
    const blocks = (lastRequestOf(session.id)?.body.messages ?? []).flatMap((m: { content: unknown }) => (Array.isArray(m.content) ? m.content : []));
    expect(blocks.some((b: any) => b.type === 'tool_use' && b.name === 'Write' && b.input?.file_path === file)).toBe(true);
    expect(blocks.some((b: any) => b.type === 'tool_result')).toBe(true);
  } finally {
    if (first.child.exitCode === null) first.child.kill('SIGKILL');
    second?.child.kill('SIGTERM');
    await second?.exited;
    await rm(dataDir, { recursive: true, force: true });
  }
}, 120_000);

test("the SDK's store: one conversation per id whatever the working directory, subagent transcripts under it", async () => {
  const store = createStore(await testDatabase());
  try {
    const adapter = transcriptStore(store.transcripts, { warn: () => expect.fail('no append should fail') });
    const sessionId = randomUUID();
    const entry = { type: 'user', uuid: randomUUID(), message: { role: 'user', content: 'hello' } };
    await adapter.append({ projectKey: '-srv-parent-cwd', sessionId }, [entry]);
    await adapter.append({ projectKey: '-srv-parent-cwd', sessionId, subpath: 'subagents/agent-a1' }, [{ type: 'assistant', uuid: randomUUID() }]);
    // A fork opens the parent's conversation from its own working directory.
    expect(await adapter.load({ projectKey: '-srv-fork-cwd', sessionId })).toEqual([entry]);
    expect(await adapter.listSubkeys!({ projectKey: '-srv-fork-cwd', sessionId })).toEqual(['subagents/agent-a1']);
    expect(await adapter.load({ projectKey: '-srv-fork-cwd', sessionId: randomUUID() })).toBeNull();

    await adapter.delete!({ projectKey: 'any', sessionId });
    expect(await adapter.load({ projectKey: 'any', sessionId })).toBeNull();
    expect(await adapter.listSubkeys!({ projectKey: 'any', sessionId })).toEqual([]);
  } finally {
    await store.close();
  }
});
