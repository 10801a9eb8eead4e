import { afterAll, beforeAll, expect, test } from 'vitest';
import { startModelServer, type ModelServer } from '../../src/model-server/server.ts';
import { newUser, startServer, type TestServer } from '../support/server.ts';

let model: ModelServer;
let server: TestServer;
beforeAll(async () => {
  model = await startModelServer();
  server = await startServer({
    env: { ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'k', AGENTD_MAX_LIVE_AGENTS: '2', AGENTD_AGENT_QUEUE_SIZE: '10', AGENTD_MAX_SESSIONS_PER_USER: '10' },
  });
});
afterAll(async () => {
  await server.close();
  await model.close();
});

test('with a cap of 2, six sessions messaging at once all finish and never more than 2 agents run', async () => {
  const alice = await newUser(server.url);
  const sessions = await Promise.all(Array.from({ length: 6 }, (_, i) => alice.post('/api/v1/sessions', { name: `s${i}` }).then((r) => r.body)));
  let most = 0;
  const sampler = setInterval(() => (most = Math.max(most, server.container.runtime.livePids().length)), 10);
  try {
    const turns = await Promise.all(sessions.map((s, i) => alice.post(`/api/v1/sessions/${s.id}/query`, { message: `hello ${i}` })));
    expect(turns.map((t) => t.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(turns.map((t) => t.body.content)).toEqual(sessions.map((_, i) => `echo: hello ${i}`));
  } finally {
    clearInterval(sampler);
  }
  expect(most).toBeGreaterThan(0);
  expect(most).toBeLessThanOrEqual(2);

  // The first sessions' agents were evicted for later ones: their next turn resumes the conversation.
  const evicted = sessions[0];
  await alice.post(`/api/v1/sessions/${evicted.id}/query`, { message: 'and again' });
  const last = model.requests.filter((r) => r.sessionId === evicted.id).at(-1)!;
  expect(JSON.stringify(last.body.messages)).toContain('hello 0');
  expect(server.container.runtime.livePids().length).toBeLessThanOrEqual(2);
});

test('past the waiting queue, a turn is refused with 503 AGENT_CAPACITY and Retry-After', async () => {
  const small = await startServer({ env: { ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'k', AGENTD_MAX_LIVE_AGENTS: '1', AGENTD_AGENT_QUEUE_SIZE: '0' } });
  try {
    const alice = await newUser(small.url);
    const [busy, other] = await Promise.all([alice.post('/api/v1/sessions', {}), alice.post('/api/v1/sessions', {})]);
    const slow = alice.post(`/api/v1/sessions/${busy.body.id}/query`, { message: '!delay 3000\n!text slow' });
    for (let i = 0; i < 100 && small.container.runtime.livePids().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    const refused = await alice.post(`/api/v1/sessions/${other.body.id}/query`, { message: 'me too' });
    expect(refused.status).toBe(503);
    expect(refused.body.error_code).toBe('AGENT_CAPACITY');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await slow).body.content).toBe('slow');
    const after = (await alice.get(`/api/v1/sessions/${other.body.id}`)).body;
    expect(after.status).toBe('active');
    expect((await alice.post(`/api/v1/sessions/${other.body.id}/query`, { message: 'now?' })).body.content).toBe('echo: now?');
  } finally {
    await small.close();
  }
});

test('with pre-warming, a new session has its agent before the first message, and the first turn uses it', async () => {
  const warm = await startServer({ env: { ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'k', AGENTD_PREWARM_AGENTS: '1' } });
  try {
    const alice = await newUser(warm.url);
    const session = (await alice.post('/api/v1/sessions', {})).body;
    for (let i = 0; i < 200 && warm.container.runtime.livePids().length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    const [prewarmed] = warm.container.runtime.livePids();
    expect(prewarmed).toBeDefined();
    expect(model.requests.some((r) => r.sessionId === session.id)).toBe(false);
    const turn = await alice.post(`/api/v1/sessions/${session.id}/query`, { message: 'first' });
    expect(turn.body.content).toBe('echo: first');
    expect(warm.container.runtime.livePids()).toEqual([prewarmed]);
    // The first agent is in use now, so the next new session gets a pre-warmed agent of its own.
    const second = (await alice.post('/api/v1/sessions', {})).body;
    expect((await alice.post(`/api/v1/sessions/${second.id}/query`, { message: 'second' })).body.content).toBe('echo: second');
  } finally {
    await warm.close();
  }
});

test('a session deleted while its agent is still pre-warming leaves no agent behind', async () => {
  const warm = await startServer({ env: { ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'k', AGENTD_PREWARM_AGENTS: '3' } });
  try {
    const alice = await newUser(warm.url);
    for (let i = 0; i < 3; i++) {
      const session = (await alice.post('/api/v1/sessions', {})).body;
      expect((await alice.delete(`/api/v1/sessions/${session.id}`)).status).toBe(204);
    }
    await new Promise((r) => setTimeout(r, 1500));
    expect(warm.container.runtime.livePids()).toEqual([]);
  } finally {
    await warm.close();
  }
});
