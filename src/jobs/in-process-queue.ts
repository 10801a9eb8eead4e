import { randomUUID } from 'node:crypto';
import { Cron } from 'croner';
import {
  PermanentJobError,
  type CronSchedule,
  type EnqueueOptions,
  type HandleOptions,
  type JobContext,
  type JobHandler,
  type JobName,
  type JobPayload,
  type JobQueue,
  type JobQueueObserver,
} from '../ports/job-queue.ts';
import { assertSchedulable, cronOptions, nextCronRun } from './cron-pattern.ts';
import {
  assertAttempts,
  assertJobId,
  assertSchedulerId,
  jobDefaults,
  parsePayload,
  retryDelay,
  tickJobId,
} from './job-runtime.ts';
import { settlesWithin } from '../domain/async.ts';

export interface InProcessJobQueueOptions {
  observer?: JobQueueObserver;
  /** How long close() waits for running handlers before aborting their signal. Default 10 s. */
  drainTimeoutMs?: number;
}

interface PendingJob {
  name: JobName;
  jobId: string;
  payload: unknown;
  attempt: number;
  attempts: number;
  backoffMs: number;
  scheduledFor?: Date;
}

interface Lane {
  handler: (payload: unknown, context: JobContext) => Promise<void>;
  concurrency: number;
  running: number;
}

interface Schedule {
  cron: Cron;
  name: JobName;
  payload: unknown;
  timer?: NodeJS.Timeout;
}

// setTimeout overflows past 2^31-1 ms (~24.8 days); a far tick is reached in hops.
const maxTimerMs = 2 ** 31 - 1;

/**
 * The embedded queue: FIFO per job name, nothing survives the process. Work that must survive a
 * restart is recorded by the services (an execution row) and enqueued again at start-up.
 */
export class InProcessJobQueue implements JobQueue {
  private readonly lanes = new Map<JobName, Lane>();
  private readonly waiting = new Map<JobName, PendingJob[]>();
  /** `name \n jobId` of every job waiting, running or waiting for a retry: the dedupe set. */
  private readonly live = new Set<string>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly schedules = new Map<string, Schedule>();
  private readonly running = new Set<Promise<void>>();
  private readonly shutdown = new AbortController();
  private state: 'created' | 'started' | 'closing' | 'closed' = 'created';
  private readonly drainTimeoutMs: number;

  constructor(private readonly options: InProcessJobQueueOptions = {}) {
    this.drainTimeoutMs = options.drainTimeoutMs ?? jobDefaults.drainTimeoutMs;
  }

  handle<N extends JobName>(name: N, handler: JobHandler<N>, options: HandleOptions = {}): void {
    if (this.state !== 'created') throw new Error(`handle(${name}) must be called before start()`);
    if (this.lanes.has(name)) throw new Error(`a handler for ${name} is already registered`);
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new TypeError(`concurrency must be a positive integer, got ${concurrency}`);
    this.lanes.set(name, { handler: (payload, context) => handler(parsePayload(name, payload), context), concurrency, running: 0 });
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayload<N>, options: EnqueueOptions = {}): Promise<void> {
    this.assertOpen();
    const data = parsePayload(name, payload);
    const attempts = options.attempts ?? jobDefaults.attempts;
    const backoffMs = options.backoffMs ?? jobDefaults.backoffMs;
    assertAttempts(attempts, backoffMs);
    if (options.jobId !== undefined) assertJobId(options.jobId);
    this.add({ name, jobId: options.jobId ?? randomUUID(), payload: data, attempt: 1, attempts, backoffMs });
  }

  async schedule<N extends JobName>(scheduleId: string, when: CronSchedule, name: N, payload: JobPayload<N>): Promise<void> {
    this.assertOpen();
    assertSchedulerId(scheduleId);
    assertSchedulable(when.cron, when.timezone);
    const data = parsePayload(name, payload);
    await this.unschedule(scheduleId);
    const schedule: Schedule = { cron: new Cron(when.cron, cronOptions(when.timezone, true)), name, payload: data };
    this.schedules.set(scheduleId, schedule);
    if (this.state === 'started') this.arm(scheduleId, schedule, new Date());
  }

  async unschedule(scheduleId: string): Promise<void> {
    const schedule = this.schedules.get(scheduleId);
    if (!schedule) return;
    clearTimeout(schedule.timer);
    schedule.cron.stop();
    this.schedules.delete(scheduleId);
  }

  nextRun(cron: string, timezone: string, after?: Date): Date | null {
    return nextCronRun(cron, timezone, after);
  }

  async start(): Promise<void> {
    this.assertOpen();
    if (this.state === 'started') return;
    this.state = 'started';
    const now = new Date();
    for (const [scheduleId, schedule] of this.schedules) this.arm(scheduleId, schedule, now);
    for (const name of this.lanes.keys()) this.dispatch(name);
  }

  async close(): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    for (const scheduleId of [...this.schedules.keys()]) await this.unschedule(scheduleId);
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    this.waiting.clear();
    const drained = await settlesWithin(Promise.allSettled([...this.running]), this.drainTimeoutMs);
    if (!drained) this.shutdown.abort(new Error('job queue closed before the handler finished'));
    this.live.clear();
    this.state = 'closed';
  }

  private assertOpen() {
    if (this.state === 'closing' || this.state === 'closed') throw new Error('job queue is closed');
  }

  private add(job: PendingJob) {
    const key = `${job.name}\n${job.jobId}`;
    if (this.live.has(key)) return;
    this.live.add(key);
    this.push(job);
  }

  private push(job: PendingJob) {
    let queue = this.waiting.get(job.name);
    if (!queue) {
      queue = [];
      this.waiting.set(job.name, queue);
    }
    queue.push(job);
    this.dispatch(job.name);
  }

  private dispatch(name: JobName) {
    if (this.state !== 'started') return;
    const lane = this.lanes.get(name);
    const queue = this.waiting.get(name);
    if (!lane || !queue) return;
    while (lane.running < lane.concurrency) {
      const job = queue.shift();
      if (!job) return;
      const run = this.run(lane, job);
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
    }
  }

  private async run(lane: Lane, job: PendingJob) {
    lane.running += 1;
    const context: JobContext = { attempt: job.attempt, jobId: job.jobId, signal: this.shutdown.signal };
    if (job.scheduledFor) context.scheduledFor = job.scheduledFor;
    try {
      await lane.handler(job.payload, context);
      this.live.delete(`${job.name}\n${job.jobId}`);
    } catch (error) {
      const willRetry = !(error instanceof PermanentJobError) && job.attempt < job.attempts && this.state === 'started';
      this.report(() => this.options.observer?.jobFailed?.({ name: job.name, jobId: job.jobId, attempt: job.attempt, willRetry, error }));
      if (willRetry) this.retryLater(job);
      else this.live.delete(`${job.name}\n${job.jobId}`);
    } finally {
      lane.running -= 1;
      this.dispatch(job.name);
    }
  }

  private retryLater(job: PendingJob) {
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.push({ ...job, attempt: job.attempt + 1 });
    }, retryDelay(job.backoffMs, job.attempt));
    this.retryTimers.add(timer);
  }

  /** Waits for the schedule's next instant after `after`, enqueues its tick, and waits for the next. */
  private arm(scheduleId: string, schedule: Schedule, after: Date) {
    const next = schedule.cron.nextRun(after);
    if (next === null) {
      this.schedules.delete(scheduleId);
      return;
    }
    const delay = next.getTime() - Date.now();
    schedule.timer = setTimeout(() => {
      if (this.schedules.get(scheduleId) !== schedule) return;
      if (delay > maxTimerMs) return this.arm(scheduleId, schedule, after);
      this.add({
        name: schedule.name,
        jobId: tickJobId(scheduleId, next.getTime()),
        payload: schedule.payload,
        attempt: 1,
        attempts: jobDefaults.attempts,
        backoffMs: jobDefaults.backoffMs,
        scheduledFor: next,
      });
      // As BullMQ: a tick missed while the process was busy or asleep is not replayed.
      this.arm(scheduleId, schedule, new Date(Math.max(next.getTime(), Date.now())));
    }, Math.min(Math.max(delay, 0), maxTimerMs));
  }

  private report(callback: () => void) {
    try {
      callback();
    } catch (error) {
      // An observer that throws must not turn a handled job failure into a crash.
      this.options.observer?.error?.(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
