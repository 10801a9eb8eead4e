import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/config.ts';
import type { Container } from '../../src/container.ts';
import { startAgentd } from '../../src/server.ts';
import { testDatabase } from './database.ts';

export interface TestServer {
  url: string;
  app: FastifyInstance;
  container: Container;
  dataDir: string;
  /** Stops the server; `keepData` leaves the data dir for a restart test. */
  close(options?: { keepData?: boolean }): Promise<void>;
}

/** Tests poll and sign up many users from one address: their servers count nothing, unless a test sets its own limits. */
export const noRateLimits = { AGENTD_RATE_LIMIT_PER_MINUTE: '0', AGENTD_RATE_LIMIT_PER_HOUR: '0', AGENTD_ANONYMOUS_RATE_LIMIT_PER_MINUTE: '0' };

/**
 * A real agentd on a random loopback port (`freshDatabase: false` reopens the data dir's own database). It uses DATABASE_URL / REDIS_URL when the
 * environment sets them (CI), else embedded PGlite in a fresh data dir.
 */
export async function startServer(options: { env?: Record<string, string>; dataDir?: string; freshDatabase?: boolean } = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'agentd-test-')));
  const config = loadConfig({
    DATABASE_URL: process.env.DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    // `AGENTD_AGENT_SANDBOX=bwrap npm test` runs every test's agents confined.
    AGENTD_AGENT_SANDBOX: process.env.AGENTD_AGENT_SANDBOX,
    JWT_SECRET: 'test-secret-test-secret-test-secret-0123',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Each test server its own job queues on the shared Redis: another file's server must not run its jobs.
    AGENTD_QUEUE_PREFIX: `agentd-test-${randomUUID().slice(0, 8)}`,
    ...noRateLimits,
    ...options.env,
    AGENTD_DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
  });
  // A restart test reopens the PGlite files of its data dir; everything else starts from the template.
  const database = options.freshDatabase === false || config.DATABASE_URL ? undefined : await testDatabase(path.join(dataDir, 'pgdata'));
  const server = await startAgentd(config, { database });
  return {
    ...server,
    dataDir,
    close: async ({ keepData = false } = {}) => {
      await server.close();
      if (!keepData) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A tiny HTTP client over fetch, as a user of the API would write. */
export function client(baseUrl: string, token?: string) {
  const call = async <T = any>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> => {
    const response = await fetch(baseUrl + url, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  };
  return {
    token,
    get: <T = any>(url: string, headers?: Record<string, string>) => call<T>('GET', url, undefined, headers),
    post: <T = any>(url: string, body?: unknown, headers?: Record<string, string>) => call<T>('POST', url, body ?? {}, headers),
    patch: <T = any>(url: string, body?: unknown) => call<T>('PATCH', url, body ?? {}),
    delete: <T = any>(url: string) => call<T>('DELETE', url),
    raw: call,
  };
}

export type Client = ReturnType<typeof client>;

/** Registers a fresh user with unique names and returns a client logged in as them. */
export async function newUser(baseUrl: string, prefix = 'user'): Promise<Client & { userId: string; email: string; password: string }> {
  const tag = `${prefix}-${randomUUID().slice(0, 8)}`;
  const email = `${tag}@example.test`;
  const password = 'correct horse battery';
  const anonymous = client(baseUrl);
  const registered = await anonymous.post('/api/v1/auth/register', { email, username: tag, password });
  if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${JSON.stringify(registered.body)}`);
  const login = await anonymous.post('/api/v1/auth/login', { email, password });
  if (login.status !== 200) throw new Error(`login failed: ${login.status}`);
  return { ...client(baseUrl, login.body.access_token), userId: registered.body.id, email, password };
}

/** A server with a bootstrap admin, and a client logged in as that admin. */
export async function startWithAdmin(env: Record<string, string> = {}): Promise<{ server: TestServer; admin: Client; adminEmail: string }> {
  const credentials = { email: `admin-${randomUUID().slice(0, 8)}@example.test`, password: 'admin-password-123' };
  const server = await startServer({ env: { AGENTD_ADMIN_EMAIL: credentials.email, AGENTD_ADMIN_PASSWORD: credentials.password, ...env } });
  const login = await client(server.url).post('/api/v1/auth/login', credentials);
  if (login.status !== 200) throw new Error(`admin login failed: ${login.status}`);
  return { server, admin: client(server.url, login.body.access_token), adminEmail: credentials.email };
}

/** What an admin does to an account through the admin API (role, active). */
export async function updateUser(admin: Client, userId: string, patch: { role?: string; is_active?: boolean }): Promise<void> {
  const updated = await admin.patch(`/api/v1/admin/users/${userId}`, patch);
  if (updated.status !== 200) throw new Error(`updating user ${userId} failed: ${updated.status} ${JSON.stringify(updated.body)}`);
}
