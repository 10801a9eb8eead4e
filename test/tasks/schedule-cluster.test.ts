import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, expect, test } from 'vitest';
import { createPostgresDatabase } from '../support/database.ts';
import { startServerProcess, type ServerProcess } from '../support/process.ts';
import { client, newUser } from '../support/server.ts';

/**
 * Two agentd processes share one database (and, in the first cluster, one Redis) and both declare
 * the same every-minute schedule. Each minute must produce exactly one execution. Needs the
 * machine's PostgreSQL and Redis (CI sets DATABASE_URL and REDIS_URL); a lone embedded PGlite
 * cannot be shared by two processes.
 */
const shared = process.env.DATABASE_URL && process.env.REDIS_URL ? { databaseUrl: process.env.DATABASE_URL, redisUrl: process.env.REDIS_URL } : undefined;

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** A server process of a cluster: its own data dir, the cluster's database, secrets and queue. */
async function clusterMember(env: Record<string, string>): Promise<ServerProcess> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'agentd-cluster-'));
  const server = await startServerProcess({ ...env, AGENTD_DATA_DIR: dataDir });
  cleanups.push(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
    await rm(dataDir, { recursive: true, force: true });
  });
  return server;
}

/**
 * Starts one server, creates an every-minute task through it, then starts the second (which
 * declares the schedule at its start, as every server does), and reads the executions after the
 * third tick through the second.
 */
async function threeTicks(databaseUrl: string, redisUrl: string | undefined) {
  const database = await createPostgresDatabase(databaseUrl);
  cleanups.push(() => database.drop());
  const env = {
    DATABASE_URL: database.url,
    JWT_SECRET: 'cluster-secret-cluster-secret-cluster-0123',
    AGENTD_SECRETS_KEY: 'cluster-sealing-key-cluster-sealing-key-01',
    AGENTD_QUEUE_PREFIX: `agentd-cluster-${randomUUID().slice(0, 8)}`,
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
  };
  const first = await clusterMember(env);
  const alice = await newUser(first.url);
  const task = (await alice.post('/api/v1/tasks', { name: 'every minute', prompt_template: 'tick', is_scheduled: true, schedule_cron: '* * * * *' })).body;
  const second = await clusterMember(env);
  const firstTick = new Date(task.next_run_at).getTime();
  const finished = firstTick + 2 * 60_000 + 45_000;
  await new Promise((r) => setTimeout(r, finished - Date.now()));
  const runs = (await client(second.url, alice.token).get(`/api/v1/tasks/${task.id}/executions?limit=100`)).body.items as any[];
  return { firstTick, runs };
}

test.skipIf(!shared)('a schedule of every minute fires exactly once per minute over three minutes, with two server processes', { timeout: 330_000 }, async () => {
  // One cluster coordinates through Redis (BullMQ); the other has no Redis, only the shared database.
  const results = await Promise.all([threeTicks(shared!.databaseUrl, shared!.redisUrl), threeTicks(shared!.databaseUrl, undefined)]);
  for (const { firstTick, runs } of results) {
    const instants = runs.map((run) => new Date(run.scheduled_for).getTime()).sort((a, b) => a - b);
    expect(instants).toEqual([firstTick, firstTick + 60_000, firstTick + 120_000]);
    expect(runs.every((run) => run.trigger === 'scheduled')).toBe(true);
    expect(runs.map((run) => run.status), JSON.stringify(runs.map((run) => run.error_message))).toEqual(['completed', 'completed', 'completed']);
  }
});
