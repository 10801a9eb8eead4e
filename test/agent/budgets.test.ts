import { afterAll, beforeAll, expect, test } from 'vitest';
import { startModelServer, type ModelServer } from '../../src/model-server/server.ts';
import { newUser, startServer, type TestServer } from '../support/server.ts';

// A plain scripted turn costs about $0.044 at the default model's list price.
let model: ModelServer;
let server: TestServer;
beforeAll(async () => {
  model = await startModelServer();
  server = await startServer({ env: { ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'k', AGENTD_USER_DAILY_BUDGET_USD: '0.12' } });
});
afterAll(async () => {
  await server.close();
  await model.close();
});

/** Model requests a session's agent made while `work` ran: the agent stops asking once over its cap. */
async function modelRequestsDuring(sessionId: string, work: () => Promise<unknown>) {
  const count = () => model.requests.filter((r) => r.sessionId === sessionId).length;
  const before = count();
  const result = await work();
  return { result: result as any, requests: count() - before };
}

const threeWrites = '!tool Write {"file_path":"$CWD/a.txt","content":"a"}\n!tool Write {"file_path":"$CWD/b.txt","content":"b"}\n!tool Write {"file_path":"$CWD/c.txt","content":"c"}';

test("a turn that crosses the session's max_budget_usd is stopped, and the next one is refused with 402", async () => {
  const alice = await newUser(server.url);
  const session = (await alice.post('/api/v1/sessions', { sdk_options: { max_budget_usd: 0.05, allowed_tools: ['Write'] } })).body;
  expect((await alice.post(`/api/v1/sessions/${session.id}/query`, { message: 'cheap' })).status).toBe(200);
  const crossing = await alice.post(`/api/v1/sessions/${session.id}/query`, {
    message: '!tool Write {"file_path":"$CWD/a.txt","content":"a"}\n!tool Write {"file_path":"$CWD/b.txt","content":"b"}\n!tool Write {"file_path":"$CWD/c.txt","content":"c"}',
  });
  expect(crossing.status).toBe(200);
  expect(crossing.body.stop_reason).toBe('error_max_budget_usd');
  expect(crossing.body.tool_calls.length).toBeLessThan(3);
  const refused = await alice.post(`/api/v1/sessions/${session.id}/query`, { message: 'more?' });
  expect(refused.status).toBe(402);
  expect(refused.body.error_code).toBe('BUDGET_EXCEEDED');
  expect((await alice.get(`/api/v1/sessions/${session.id}`)).body.status).toBe('active');
});

test("once a user's daily budget is spent, their turns are refused in every session", async () => {
  const alice = await newUser(server.url);
  const first = (await alice.post('/api/v1/sessions', {})).body;
  let status = 200;
  for (let i = 0; i < 5 && status === 200; i++) status = (await alice.post(`/api/v1/sessions/${first.id}/query`, { message: `turn ${i}` })).status;
  expect(status).toBe(402);
  const other = (await alice.post('/api/v1/sessions', {})).body;
  const refused = await alice.post(`/api/v1/sessions/${other.id}/query`, { message: 'elsewhere' });
  expect(refused.status).toBe(402);
  expect(refused.body.error_code).toBe('BUDGET_EXCEEDED');
  // Another user's budget is their own.
  const bob = await newUser(server.url);
  const bobs = (await bob.post('/api/v1/sessions', {})).body;
  expect((await bob.post(`/api/v1/sessions/${bobs.id}/query`, { message: 'mine' })).status).toBe(200);
});

test("after its agent restarts, a session's turn may spend only what is left of its max_budget_usd", async () => {
  const alice = await newUser(server.url);
  const session = (await alice.post('/api/v1/sessions', { sdk_options: { max_budget_usd: 0.06, allowed_tools: ['Write'] } })).body;
  expect((await alice.post(`/api/v1/sessions/${session.id}/query`, { message: 'first' })).status).toBe(200);
  // Pausing releases the agent process; the next turn runs in a new one.
  await alice.post(`/api/v1/sessions/${session.id}/pause`);
  await alice.post(`/api/v1/sessions/${session.id}/resume`, {});
  // $0.016 was left: the first model call (~$0.045) crosses it, so the agent asks nothing more.
  const { result: turn, requests } = await modelRequestsDuring(session.id, () => alice.post(`/api/v1/sessions/${session.id}/query`, { message: threeWrites }));
  expect(turn.body.stop_reason).toBe('error_max_budget_usd');
  expect(requests).toBe(1);
});

test("a turn that crosses the user's daily budget is stopped, even when other sessions spent it", async () => {
  const alice = await newUser(server.url);
  const [spender, worker] = await Promise.all([alice.post('/api/v1/sessions', {}), alice.post('/api/v1/sessions', { sdk_options: { allowed_tools: ['Write'] } })]);
  // The worker's agent starts while the day is young...
  expect((await alice.post(`/api/v1/sessions/${worker.body.id}/query`, { message: 'warm up' })).status).toBe(200);
  // ...then another session spends most of what is left.
  expect((await alice.post(`/api/v1/sessions/${spender.body.id}/query`, { message: 'spend' })).status).toBe(200);
  // About $0.032 of the day was left: the first model call crosses it, so the agent asks nothing more.
  const { result: turn, requests } = await modelRequestsDuring(worker.body.id, () => alice.post(`/api/v1/sessions/${worker.body.id}/query`, { message: threeWrites }));
  expect(turn.body.stop_reason).toBe('error_max_budget_usd');
  expect(requests).toBe(1);
  const refused = await alice.post(`/api/v1/sessions/${worker.body.id}/query`, { message: 'more' });
  expect(refused.status).toBe(402);
});
