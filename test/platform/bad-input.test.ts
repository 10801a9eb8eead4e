import { SignJWT } from 'jose';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { newUser, startServer, type ApiResponse, type Client, type TestServer } from '../support/server.ts';
import { expectError } from './support/expect-error.ts';

let server: TestServer;
let user: Client;
let expiredToken: string;
beforeAll(async () => {
  server = await startServer();
  user = await newUser(server.url, 'bad-input');
  // Signed with the test server's secret, so only the expiry is wrong.
  expiredToken = await new SignJWT({ role: 'user', typ: 'access' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject((user as Client & { userId: string }).userId)
    .setIssuer('agentd')
    .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
    .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
    .sign(new TextEncoder().encode('test-secret-test-secret-test-secret-0123'));
});
afterAll(() => server.close());

type Case = [label: string, send: () => Promise<ApiResponse>, status: number, code: string];

const json = { 'content-type': 'application/json' };
const badCases = (): Case[] => [
  ['malformed JSON', () => user.raw('POST', '/api/v1/sessions', '{"name": ', json), 400, 'INVALID_JSON'],
  ['empty JSON body', () => user.raw('POST', '/api/v1/sessions', '', json), 400, 'INVALID_JSON'],
  ['JSON with __proto__', () => user.raw('POST', '/api/v1/sessions', '{"__proto__": {"admin": true}}', json), 400, 'INVALID_JSON'],
  ['a JSON array', () => user.post('/api/v1/sessions', [1, 2]), 422, 'VALIDATION_ERROR'],
  ['name of the wrong type', () => user.post('/api/v1/sessions', { name: 42 }), 422, 'VALIDATION_ERROR'],
  ['unknown mode', () => user.post('/api/v1/sessions', { mode: 'turbo' }), 422, 'VALIDATION_ERROR'],
  ['unknown top-level key', () => user.post('/api/v1/sessions', { colour: 'red' }), 422, 'VALIDATION_ERROR'],
  ['unknown sdk_options key', () => user.post('/api/v1/sessions', { sdk_options: { cwd: '/etc' } }), 422, 'VALIDATION_ERROR'],
  ['sdk_options of the wrong type', () => user.post('/api/v1/sessions', { sdk_options: { max_turns: 'many' } }), 422, 'VALIDATION_ERROR'],
  ['a 10k-character name', () => user.post('/api/v1/sessions', { name: 'n'.repeat(10_000) }), 422, 'VALIDATION_ERROR'],
  ['a 2 MB body', () => user.post('/api/v1/sessions', { name: 'x'.repeat(2 * 1024 * 1024) }), 413, 'PAYLOAD_TOO_LARGE'],
  ['a text/plain body', () => user.raw('POST', '/api/v1/sessions', '{}', { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ['an XML body', () => user.raw('POST', '/api/v1/sessions', '<session/>', { 'content-type': 'application/xml' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ['a form body', () => user.raw('POST', '/api/v1/auth/login', 'email=a&password=b', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ['a NUL character in a name', () => user.post('/api/v1/sessions', { name: 'a\u0000b' }), 422, 'VALIDATION_ERROR'],
  ['a NUL character deep in sdk_options', () => user.post('/api/v1/sessions', { sdk_options: { system_prompt: 'x\u0000y' } }), 422, 'VALIDATION_ERROR'],
  ['a NUL character in a registration', () => user.post('/api/v1/auth/register', { email: 'nul@example.test', username: 'nul-user', password: 'long enough pw', full_name: '\u0000' }), 422, 'VALIDATION_ERROR'],
  ['a NUL character in a login email', () => user.post('/api/v1/auth/login', { email: 'a\u0000@example.test', password: 'whatever1' }), 422, 'VALIDATION_ERROR'],
  ['a NUL character in a query filter', () => user.get('/api/v1/audit-logs?event_type=a%00b'), 422, 'VALIDATION_ERROR'],
  ['a session id that is no UUID', () => user.get('/api/v1/sessions/not-a-uuid'), 422, 'VALIDATION_ERROR'],
  ['a path traversal as id', () => user.delete('/api/v1/sessions/..%2F..%2Fetc'), 422, 'VALIDATION_ERROR'],
  ['limit above 100', () => user.get('/api/v1/sessions?limit=1000'), 422, 'VALIDATION_ERROR'],
  ['limit not a number', () => user.get('/api/v1/sessions?limit=abc'), 422, 'VALIDATION_ERROR'],
  ['audit user_id no UUID', () => user.get('/api/v1/audit-logs?user_id=1'), 422, 'VALIDATION_ERROR'],
  ['register with a bad email', () => user.post('/api/v1/auth/register', { email: 'not-an-email', username: 'someone', password: 'long enough pw' }), 422, 'VALIDATION_ERROR'],
  ['register with a short password', () => user.post('/api/v1/auth/register', { email: 'short@example.test', username: 'shorty', password: 'short' }), 422, 'VALIDATION_ERROR'],
  ['login with a 10k-character email', () => user.post('/api/v1/auth/login', { email: `${'e'.repeat(10_000)}@example.test`, password: 'whatever1' }), 422, 'VALIDATION_ERROR'],
  ['login without a password', () => user.post('/api/v1/auth/login', { email: 'a@example.test' }), 422, 'VALIDATION_ERROR'],
  ['refresh with garbage', () => user.post('/api/v1/auth/refresh', { refresh_token: 'garbage' }), 401, 'INVALID_TOKEN'],
  ['no token', () => fetchJson('GET', '/api/v1/sessions'), 401, 'UNAUTHENTICATED'],
  ['a garbage token', () => fetchJson('GET', '/api/v1/sessions', { authorization: 'Bearer not.a.jwt' }), 401, 'INVALID_TOKEN'],
  ['a non-bearer scheme', () => fetchJson('GET', '/api/v1/auth/me', { authorization: 'Basic dXNlcjpwdw==' }), 401, 'INVALID_TOKEN'],
  ['an expired token', () => fetchJson('GET', '/api/v1/auth/me', { authorization: `Bearer ${expiredToken}` }), 401, 'INVALID_TOKEN'],
  ['a token signed with another secret', () => fetchJson('GET', '/api/v1/auth/me', { authorization: `Bearer ${forged()}` }), 401, 'INVALID_TOKEN'],
  ['an unknown route', () => user.get('/api/v1/nothing-here'), 404, 'NOT_FOUND'],
  ['an unknown method on a route', () => user.raw('PUT', '/api/v1/sessions', {}), 404, 'NOT_FOUND'],
];

async function fetchJson(method: string, url: string, headers: Record<string, string> = {}): Promise<ApiResponse> {
  const response = await fetch(server.url + url, { method, headers });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

// header.payload.signature with a valid shape and a signature nobody on this server made.
const forged = () => `${expiredToken.split('.').slice(0, 2).join('.')}.${'A'.repeat(43)}`;

test('every bad request is a 4xx with an error code, never a 5xx', async () => {
  const failures: string[] = [];
  for (const [label, send, status, code] of badCases()) {
    const response = await send();
    try {
      expectError(response, status, code);
    } catch (error) {
      failures.push(`${label}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  expect(failures).toEqual([]);
});

test('validation errors say where the problem is', async () => {
  const response = await user.post('/api/v1/sessions', { sdk_options: { max_turns: 'many' } });
  expectError(response, 422, 'VALIDATION_ERROR');
  expect(response.body.errors).toEqual([expect.objectContaining({ location: 'body', path: '/sdk_options/max_turns' })]);
});

test('a request id given by the caller is echoed in the header and the error body', async () => {
  const response = await user.raw('GET', '/api/v1/sessions/not-a-uuid', undefined, { 'x-request-id': 'trace-abc.123' });
  expect(response.headers.get('x-request-id')).toBe('trace-abc.123');
  expect(response.body.request_id).toBe('trace-abc.123');
  const generated = await user.get('/api/v1/nothing-here', { 'x-request-id': 'bad id with spaces' });
  expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  expect(generated.body.request_id).toBe(generated.headers.get('x-request-id'));
});

test('the server still serves after all that', async () => {
  expect((await user.post('/api/v1/sessions', { name: 'still fine' })).status).toBe(201);
});
