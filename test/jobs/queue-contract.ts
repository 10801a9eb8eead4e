import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InvalidCronError,
  PermanentJobError,
  type JobContext,
  type JobFailure,
  type JobPayload,
  type JobQueue,
  type JobQueueObserver,
} from '../../src/ports/job-queue.ts';

export interface QueueOptions {
  drainTimeoutMs?: number;
  observer?: JobQueueObserver;
}

/** Builds a fresh queue that sees no other test's jobs (BullMQ: a prefix of its own). */
export type QueueFactory = (options: QueueOptions) => JobQueue;

export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

const execute = (executionId: string): JobPayload<'task.execute'> => ({ executionId, trigger: 'manual' });

/** The behaviour every JobQueue implementation owes its callers. */
export function queueContract(label: string, make: QueueFactory, options: { skip?: boolean } = {}) {
  describe.skipIf(options.skip ?? false)(`JobQueue contract: ${label}`, () => {
    const opened: JobQueue[] = [];
    const open = (queueOptions: QueueOptions = {}) => {
      const queue = make(queueOptions);
      opened.push(queue);
      return queue;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((queue) => queue.close()));
    });

    it('runs a job with its payload and id, in order for one name', async () => {
      const queue = open();
      const runs: { payload: JobPayload<'task.execute'>; context: JobContext }[] = [];
      queue.handle('task.execute', async (payload, context) => void runs.push({ payload, context }));
      await queue.enqueue('task.execute', execute('e1'), { jobId: 'execution-e1' });
      await queue.enqueue('task.execute', { executionId: 'e2', trigger: 'webhook' });
      await queue.enqueue('task.execute', execute('e3'));
      await queue.start();

      await waitFor(() => runs.length === 3, 5000, 'three runs');
      expect(runs.map((run) => run.payload)).toEqual([execute('e1'), { executionId: 'e2', trigger: 'webhook' }, execute('e3')]);
      expect(runs[0]!.context).toMatchObject({ attempt: 1, jobId: 'execution-e1' });
      expect(runs[0]!.context.scheduledFor).toBeUndefined();
      expect(runs[1]!.context.jobId).toEqual(expect.any(String));
      expect(runs[1]!.context.jobId).not.toBe(runs[2]!.context.jobId);
    });

    it('refuses a payload that does not match its schema and ids BullMQ cannot store', async () => {
      const queue = open();
      await expect(queue.enqueue('task.execute', { executionId: 'e1', trigger: 'cron' } as never)).rejects.toThrow(PermanentJobError);
      await expect(queue.enqueue('task.execute', execute('e1'), { jobId: '42' })).rejects.toThrow(TypeError);
      await expect(queue.enqueue('task.execute', execute('e1'), { jobId: 'a:b' })).rejects.toThrow(TypeError);
    });

    it('runs at most `concurrency` handlers of a name at once', async () => {
      const queue = open();
      let running = 0;
      let peak = 0;
      let done = 0;
      queue.handle(
        'task.execute',
        async () => {
          running += 1;
          peak = Math.max(peak, running);
          await sleep(80);
          running -= 1;
          done += 1;
        },
        { concurrency: 2 },
      );
      await queue.start();
      for (let i = 0; i < 6; i++) await queue.enqueue('task.execute', execute(`c${i}`));

      await waitFor(() => done === 6, 5000, 'six jobs');
      expect(peak).toBe(2);
    });

    it('retries a failing job with exponential backoff until it succeeds', async () => {
      const failures: JobFailure[] = [];
      const queue = open({ observer: { jobFailed: (failure) => void failures.push(failure) } });
      const attempts: { attempt: number; at: number }[] = [];
      queue.handle('task.execute', async (_payload, { attempt }) => {
        attempts.push({ attempt, at: Date.now() });
        if (attempt < 3) throw new Error(`flaky ${attempt}`);
      });
      await queue.start();
      await queue.enqueue('task.execute', execute('r1'), { jobId: 'retry-r1', attempts: 3, backoffMs: 50 });

      await waitFor(() => attempts.length === 3, 5000, 'three attempts');
      expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
      expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(45);
      expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(95);
      expect(failures.map((f) => [f.jobId, f.attempt, f.willRetry])).toEqual([
        ['retry-r1', 1, true],
        ['retry-r1', 2, true],
      ]);
    });

    it('gives up after the last attempt', async () => {
      const failures: JobFailure[] = [];
      const queue = open({ observer: { jobFailed: (failure) => void failures.push(failure) } });
      let runs = 0;
      queue.handle('task.execute', async () => {
        runs += 1;
        throw new Error('always');
      });
      await queue.start();
      await queue.enqueue('task.execute', execute('g1'), { attempts: 2, backoffMs: 10 });

      await waitFor(() => failures.length === 2, 5000, 'two failures');
      await sleep(150);
      expect(runs).toBe(2);
      expect(failures.map((f) => f.willRetry)).toEqual([true, false]);
    });

    it('does not retry a PermanentJobError', async () => {
      const failures: JobFailure[] = [];
      const queue = open({ observer: { jobFailed: (failure) => void failures.push(failure) } });
      let runs = 0;
      queue.handle('task.execute', async () => {
        runs += 1;
        throw new PermanentJobError('execution is gone');
      });
      await queue.start();
      await queue.enqueue('task.execute', execute('p1'), { attempts: 5, backoffMs: 10 });

      await waitFor(() => failures.length === 1, 5000, 'the failure');
      await sleep(150);
      expect(runs).toBe(1);
      expect(failures[0]).toMatchObject({ attempt: 1, willRetry: false });
      expect(failures[0]!.error).toBeInstanceOf(PermanentJobError);
    });

    it('dedupes by jobId while the job exists, and accepts the id again once it finished', async () => {
      const queue = open();
      const release = gate();
      const runs: string[] = [];
      queue.handle('task.execute', async (payload) => {
        runs.push(payload.executionId);
        if (runs.length === 1) await release.opened;
      });
      await queue.enqueue('task.execute', execute('first'), { jobId: 'dedupe-1' });
      await queue.enqueue('task.execute', execute('second'), { jobId: 'dedupe-1' });
      await queue.start();
      await waitFor(() => runs.length === 1, 5000, 'the first run');
      await queue.enqueue('task.execute', execute('while-running'), { jobId: 'dedupe-1' });
      await sleep(100);
      release.open();
      await sleep(150);
      expect(runs).toEqual(['first']);

      await queue.enqueue('task.execute', execute('after'), { jobId: 'dedupe-1' });
      await waitFor(() => runs.length === 2, 5000, 'the run after the first finished');
      expect(runs).toEqual(['first', 'after']);
    });

    it('rejects an invalid cron or time zone with the reason, and computes the next run', async () => {
      const queue = open();
      const reject = async (cron: string, timezone: string) => {
        const error: unknown = await queue.schedule(`bad-${randomUUID()}`, { cron, timezone }, 'task.schedule_tick', { taskId: 't' }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidCronError);
        expect((error as InvalidCronError).code).toBe('INVALID_SCHEDULE');
        return (error as InvalidCronError).reason;
      };
      expect(await reject('61 * * * *', 'UTC')).toMatch(/minute/i);
      expect(await reject('every day', 'UTC')).toMatch(/five, six/);
      expect(await reject('* * * * * * *', 'UTC')).toMatch(/7 parts/);
      expect(await reject('0 0 30 2 *', 'UTC')).toBe('it never fires');
      expect(await reject('0 9 * * *', 'Mars/Olympus')).toMatch(/time zone/);

      const after = new Date('2026-03-27T12:00:00Z'); // a Friday; Berlin switches to summer time on Sunday
      expect(queue.nextRun('0 9 * * 1-5', 'Europe/Berlin', after)).toEqual(new Date('2026-03-30T07:00:00Z'));
      expect(queue.nextRun('*/1 * * * * *', 'UTC', after)).toEqual(new Date('2026-03-27T12:00:01Z'));
      expect(queue.nextRun('0 0 30 2 *', 'UTC', after)).toBeNull();
      expect(() => queue.nextRun('nope', 'UTC')).toThrow(InvalidCronError);
    });

    it('fires a per-second schedule once per tick and stops after unschedule', async () => {
      const queue = open();
      const ticks: { taskId: string; jobId: string; scheduledFor: Date | undefined }[] = [];
      queue.handle('task.schedule_tick', async ({ taskId }, { jobId, scheduledFor }) => void ticks.push({ taskId, jobId, scheduledFor }));
      const scheduleId = `every-second-${randomUUID()}`;
      // Declared twice, as every server does at start-up: the second replaces the first.
      await queue.schedule(scheduleId, { cron: '*/1 * * * * *', timezone: 'UTC' }, 'task.schedule_tick', { taskId: 'stale' });
      await queue.schedule(scheduleId, { cron: '*/1 * * * * *', timezone: 'Europe/Berlin' }, 'task.schedule_tick', { taskId: 't1' });
      await queue.start();

      await waitFor(() => ticks.length >= 3, 6000, 'three ticks');
      await queue.unschedule(scheduleId);
      const atUnschedule = ticks.length;
      await sleep(1200);
      // A tick already handed to the queue may still run; nothing is scheduled after it.
      expect(ticks.length).toBeLessThanOrEqual(atUnschedule + 1);

      expect(ticks.every((tick) => tick.taskId === 't1')).toBe(true);
      const instants = ticks.map((tick) => tick.scheduledFor?.getTime());
      expect(instants.every((ms) => ms !== undefined && ms % 1000 === 0)).toBe(true);
      expect(new Set(instants).size).toBe(ticks.length);
      expect(ticks.map((tick) => tick.jobId)).toEqual(instants.map((ms) => `repeat:${scheduleId}:${ms}`));
    });

    it('close() lets a running handler finish, then refuses work', async () => {
      const queue = open();
      let started = false;
      let finished = false;
      queue.handle('task.execute', async () => {
        started = true;
        await sleep(300);
        finished = true;
      });
      await queue.start();
      await queue.enqueue('task.execute', execute('slow'));
      await waitFor(() => started, 5000, 'the handler to start');

      await queue.close();
      expect(finished).toBe(true);
      await expect(queue.enqueue('task.execute', execute('late'))).rejects.toThrow(/closed/);
    });

    it('close() waits a bounded time, then aborts the handler signal', async () => {
      const queue = open({ drainTimeoutMs: 200 });
      let started = false;
      let aborted = false;
      queue.handle('task.execute', async (_payload, { signal }) => {
        started = true;
        await new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => resolve(), { once: true });
          setTimeout(resolve, 5000).unref();
        });
        aborted = signal.aborted;
      });
      await queue.start();
      await queue.enqueue('task.execute', execute('stuck'));
      await waitFor(() => started, 5000, 'the handler to start');

      const before = Date.now();
      await queue.close();
      expect(Date.now() - before).toBeLessThan(2000);
      await waitFor(() => aborted, 1000, 'the handler to see the abort');
    });
  });
}
