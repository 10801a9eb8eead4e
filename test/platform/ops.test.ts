import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { newUser, startServer, type TestServer } from '../support/server.ts';
import { expectError } from './support/expect-error.ts';
import { normalisePath, registeredRoutes } from './support/routes.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

const get = (url: string, headers: Record<string, string> = {}) => fetch(server.url + url, { headers });

test('/health is 200 ok', async () => {
  const response = await get('/health');
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ status: 'ok' });
});

test('/ready checks the database, and Redis when it is configured', async () => {
  const response = await get('/ready');
  expect(response.status).toBe(200);
  const expected = process.env.REDIS_URL ? { database: 'ok', redis: 'ok' } : { database: 'ok' };
  expect(await response.json()).toEqual({ status: 'ready', checks: expected });
});

describe('with Redis configured at a dead port', () => {
  let deadRedis: TestServer;
  beforeAll(async () => {
    // With limits on: counting them needs Redis, and a request must pass when it cannot be counted.
    deadRedis = await startServer({ env: { REDIS_URL: 'redis://127.0.0.1:1', AGENTD_RATE_LIMIT_PER_MINUTE: '100', AGENTD_ANONYMOUS_RATE_LIMIT_PER_MINUTE: '100' } });
  });
  afterAll(() => deadRedis.close());

  test('/ready is 503 NOT_READY naming the failed check, /health stays 200', async () => {
    const ready = await fetch(`${deadRedis.url}/ready`);
    const body: any = await ready.json();
    expectError({ status: ready.status, body, headers: ready.headers }, 503, 'NOT_READY');
    expect(body.checks).toEqual({ database: 'ok', redis: 'unavailable' });
    expect((await fetch(`${deadRedis.url}/health`)).status).toBe(200);
  });

  test('a scheduled task is still saved, and the rate limit lets requests through: neither waits for Redis', async () => {
    const user = await newUser(deadRedis.url, 'dead-redis');
    const created = await user.post('/api/v1/tasks', { name: 'nightly', prompt_template: 'x', is_scheduled: true, schedule_cron: '0 3 * * *' });
    expect(created.status).toBe(201);
    expect((await user.get(`/api/v1/tasks/${created.body.id}`)).body).toMatchObject({ is_scheduled: true, next_run_at: expect.any(String) });
  });
});

test('/metrics is Prometheus text with request counts by route template and sessions by status', async () => {
  const user = await newUser(server.url, 'metrics');
  const id = (await user.post('/api/v1/sessions')).body.id;
  await user.get(`/api/v1/sessions/${id}`);
  const response = await get('/metrics');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  expect(text).toMatch(/^# TYPE agentd_http_requests_total counter$/m);
  expect(text).toMatch(/^agentd_http_requests_total\{method="POST",route="\/api\/v1\/sessions",status="201"\} [1-9]\d*$/m);
  expect(text).toMatch(/^agentd_http_requests_total\{method="GET",route="\/api\/v1\/sessions\/:id",status="200"\} [1-9]\d*$/m);
  expect(text).not.toContain(id);
  expect(text).toMatch(/^agentd_sessions\{status="created"\} [1-9]\d*$/m);
});

test('/docs serves the API explorer as HTML', async () => {
  const response = await get('/docs');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  expect(await response.text()).toMatch(/swagger/i);
});

test('/api/v1/openapi.json is OpenAPI 3 and documents every route the app serves', async () => {
  const response = await get('/api/v1/openapi.json');
  expect(response.status).toBe(200);
  const spec: any = await response.json();
  expect(spec.openapi).toMatch(/^3\./);
  expect(spec.info.title).toBe('agentd');

  const documented = new Set<string>();
  for (const [route, operations] of Object.entries<Record<string, unknown>>(spec.paths)) {
    for (const method of Object.keys(operations)) documented.add(`${method.toUpperCase()} ${normalisePath(route)}`);
  }
  // Served on purpose without an entry: the explorer, the spec itself, and WebSocket routes
  // (@fastify/websocket hides them, and OpenAPI 3.0 has no way to describe one).
  const webSockets = ['GET /api/v1/sessions/{id}/stream'];
  const undocumented = (route: string) =>
    / \/docs(\/|\*|$)/.test(route) || route.endsWith(' /api/v1/openapi.json') || /^(HEAD|OPTIONS) /.test(route) || webSockets.includes(route);
  const served = registeredRoutes(server.app.printRoutes({ commonPrefix: false }))
    .map((route) => {
      const [method, url] = route.split(' ');
      return `${method} ${normalisePath(url!)}`;
    })
    .filter((route) => !undocumented(route));
  expect(served).toEqual(expect.arrayContaining(['POST /api/v1/auth/login', 'GET /api/v1/sessions/{id}', 'DELETE /api/v1/sessions/{id}', 'GET /metrics']));
  expect([...new Set(served)].filter((route) => !documented.has(route))).toEqual([]);
});

test('every response carries an x-request-id, the caller\'s when it is sane', async () => {
  const given = await get('/health', { 'x-request-id': 'ops-check-1' });
  expect(given.headers.get('x-request-id')).toBe('ops-check-1');
  const missing = await get('/no/such/route', { 'x-request-id': 'ops-check-2' });
  expect(missing.headers.get('x-request-id')).toBe('ops-check-2');
  expect(((await missing.json()) as any).request_id).toBe('ops-check-2');
  expect((await get('/health')).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
});
