/** A real agentd in this process on a loopback port, and the two ways a client talks to it. */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { loadConfig } from '../src/config/config.ts';
import type { Container } from '../src/container.ts';
import { openDatabase } from '../src/db/connection.ts';
import { startAgentd as startServer } from '../src/server.ts';
import { withTimeout } from './sdk-direct.ts';

export interface Agentd {
  url: string;
  app: FastifyInstance;
  container: Container;
  close(): Promise<void>;
}

export interface AgentdOptions {
  /** Extra environment for `loadConfig` (AGENTD_MAX_LIVE_AGENTS, ...), over the bench's defaults. */
  env?: Record<string, string>;
  /** A dump of a migrated database (`migratedDatabase()`): start-up in ~1 s instead of 5-20 s. */
  seed?: Blob;
}

/** A migrated embedded database, dumped once so that several agentd instances start from it. */
export async function migratedDatabase(): Promise<Blob> {
  const database = await openDatabase({});
  try {
    return await database.dump!();
  } finally {
    await database.close();
  }
}

export async function startAgentd(modelUrl: string, options: AgentdOptions = {}): Promise<Agentd> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'agentd-bench-'));
  // No DATABASE_URL: embedded PGlite in the data dir, as a single-machine install runs.
  const config = loadConfig({
    ANTHROPIC_BASE_URL: modelUrl,
    ANTHROPIC_API_KEY: 'scripted',
    AGENTD_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
    // The baseline runs with no retries; the bench opens more sessions than the default quota.
    AGENTD_AGENT_MAX_RETRIES: '0',
    AGENTD_MAX_SESSIONS_PER_USER: '100',
    // A bench sends far more than a user's 60 requests a minute.
    AGENTD_RATE_LIMIT_PER_MINUTE: '0',
    AGENTD_RATE_LIMIT_PER_HOUR: '0',
    AGENTD_ANONYMOUS_RATE_LIMIT_PER_MINUTE: '0',
    ...options.env,
  });
  // The same place the container would open it (the data dir's pgdata), only loaded from the seed.
  const database = options.seed ? await openDatabase({ dataDir: path.join(dataDir, 'pgdata'), seed: options.seed }) : undefined;
  const server = await startServer(config, { database });
  return {
    ...server,
    close: async () => {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export class ApiError extends Error {}

/** JSON over fetch, as a client of the API would call it. */
export class Api {
  constructor(
    readonly baseUrl: string,
    private token?: string,
  ) {}

  async call(method: string, url: string, body?: unknown): Promise<any> {
    const response = await fetch(this.baseUrl + url, {
      method,
      headers: {
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new ApiError(`${method} ${url}: ${response.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : null;
  }

  /** Registers a fresh user and keeps their access token. */
  async signUp(): Promise<string> {
    const tag = `bench-${randomUUID().slice(0, 8)}`;
    const email = `${tag}@example.test`;
    const password = 'correct horse battery staple';
    const user = await this.call('POST', '/api/v1/auth/register', { email, username: tag, password });
    const login = await this.call('POST', '/api/v1/auth/login', { email, password });
    this.token = login.access_token as string;
    return user.id as string;
  }

  get accessToken(): string {
    if (!this.token) throw new Error('not logged in');
    return this.token;
  }

  async createSession(): Promise<string> {
    return (await this.call('POST', '/api/v1/sessions', {})).id as string;
  }

  /** One turn over HTTP: the time from the request to the whole JSON answer. */
  async query(sessionId: string, message: string): Promise<{ ms: number; content: string }> {
    const started = performance.now();
    const turn = await withTimeout(this.call('POST', `/api/v1/sessions/${sessionId}/query`, { message }), 60_000, 'agentd HTTP turn');
    const elapsed = performance.now() - started;
    if (turn.is_error) throw new Error(`agentd turn failed: ${turn.stop_reason} ${turn.content}`);
    return { ms: elapsed, content: turn.content as string };
  }
}

export interface StreamTurn {
  /** From sending the query frame to the `result` frame. */
  ms: number;
  /** From sending the query frame to the turn's first `text_delta` frame (NaN if none came). */
  firstDeltaMs: number;
  content: string;
}

/** A session's WebSocket stream; `turn()` sends a query frame and resolves on the `result` frame. */
export class StreamClient {
  private waiter: { resolve: (frame: any) => void; reject: (error: Error) => void } | undefined;
  private firstDeltaAt: number | undefined;
  frames = 0;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const at = performance.now();
      this.frames += 1;
      const frame = JSON.parse(data.toString('utf8'));
      if (frame.type === 'text_delta' && this.waiter && this.firstDeltaAt === undefined) this.firstDeltaAt = at;
      if (frame.type === 'result' || frame.type === 'error') {
        const waiter = this.waiter;
        this.waiter = undefined;
        if (frame.type === 'result') waiter?.resolve(frame);
        else waiter?.reject(new Error(`agentd stream error: ${frame.error_code} ${frame.detail}`));
      }
    });
    socket.on('close', () => this.waiter?.reject(new Error('stream closed')));
  }

  static async open(baseUrl: string, sessionId: string, token: string): Promise<StreamClient> {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/v1/sessions/${sessionId}/stream?token=${encodeURIComponent(token)}`);
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      }),
      10_000,
      'WebSocket open',
    );
    return new StreamClient(socket);
  }

  async turn(message: string): Promise<StreamTurn> {
    if (this.waiter) throw new Error('a turn is already running');
    const done = new Promise<any>((resolve, reject) => (this.waiter = { resolve, reject }));
    this.firstDeltaAt = undefined;
    const started = performance.now();
    this.socket.send(JSON.stringify({ type: 'query', message }));
    const frame = await withTimeout(done, 60_000, 'agentd WebSocket turn');
    const elapsed = performance.now() - started;
    if (frame.is_error) throw new Error(`agentd turn failed: ${frame.stop_reason} ${frame.content}`);
    const firstDeltaMs = this.firstDeltaAt === undefined ? NaN : this.firstDeltaAt - started;
    return { ms: elapsed, firstDeltaMs, content: frame.content as string };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.close();
      setTimeout(() => {
        this.socket.terminate();
        resolve();
      }, 2000).unref();
    });
  }
}
