import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { BullMqJobQueue } from '../../src/jobs/bullmq-queue.ts';
import { InProcessJobQueue } from '../../src/jobs/in-process-queue.ts';
import type { JobQueue } from '../../src/ports/job-queue.ts';
import { queueContract, waitFor, type QueueOptions } from './queue-contract.ts';

const redisUrl = process.env.REDIS_URL;
// Every key this file writes starts with it; removed after the file.
const filePrefix = `agentd-test-${randomUUID().slice(0, 8)}`;
let queues = 0;
const redisErrors: Error[] = [];

const bullmq = (options: QueueOptions, prefix = `${filePrefix}-${++queues}`) =>
  new BullMqJobQueue({
    url: redisUrl!,
    prefix,
    drainTimeoutMs: options.drainTimeoutMs ?? 5000,
    observer: { ...options.observer, error: (error) => void redisErrors.push(error) },
  });

queueContract('in-process', (options) => new InProcessJobQueue({ drainTimeoutMs: 5000, ...options }));
queueContract('BullMQ on Redis', (options) => bullmq(options), { skip: !redisUrl });

describe.skipIf(!redisUrl)('BullMQ schedules across servers', () => {
  afterAll(async () => {
    const redis = new Redis(redisUrl!);
    const keys = await redis.keys(`${filePrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    // Connection errors while the file ran would mean a leaked or half-closed queue.
    expect(redisErrors).toEqual([]);
  });

  it('runs each tick once when two servers declare the same schedule', async () => {
    const prefix = `${filePrefix}-shared`;
    const servers: JobQueue[] = [bullmq({}, prefix), bullmq({}, prefix)];
    const runs: { server: number; jobId: string; scheduledFor: number | undefined }[] = [];
    const scheduleId = `task-${randomUUID()}`;
    const declare = (server: JobQueue) =>
      server.schedule(scheduleId, { cron: '*/1 * * * * *', timezone: 'UTC' }, 'task.schedule_tick', { taskId: 'shared' });
    try {
      servers.forEach((server, index) => {
        server.handle('task.schedule_tick', async (_payload, { jobId, scheduledFor }) => {
          runs.push({ server: index, jobId, scheduledFor: scheduledFor?.getTime() });
          await sleep(50);
        }, { concurrency: 2 });
      });
      await Promise.all(servers.map((server) => server.start()));
      await Promise.all(servers.map(declare));
      await sleep(2000);
      // A server restarting mid-schedule declares it again.
      await declare(servers[1]!);
      await sleep(2000);
      await servers[0]!.unschedule(scheduleId);
    } finally {
      await Promise.all(servers.map((server) => server.close()));
    }

    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(new Set(runs.map((run) => run.jobId)).size).toBe(runs.length);
    expect(new Set(runs.map((run) => run.scheduledFor)).size).toBe(runs.length);
    expect(runs.every((run) => run.scheduledFor !== undefined)).toBe(true);
  });

  it('reports an unreachable Redis to the observer instead of crashing', async () => {
    const errors: Error[] = [];
    const queue = new BullMqJobQueue({ url: 'redis://127.0.0.1:1', prefix: `${filePrefix}-down`, drainTimeoutMs: 300, observer: { error: (error) => void errors.push(error) } });
    queue.handle('task.execute', async () => undefined);
    await queue.start();
    await waitFor(() => errors.length > 0, 5000, 'a reported connection error');
    await queue.close();
    expect(errors[0]!.message).toMatch(/ECONNREFUSED/);
  });
});
