import { Queue, UnrecoverableError, Worker, type Job, type JobsOptions, type RepeatStrategy } from 'bullmq';
import { Redis } from 'ioredis';
import {
  jobNames,
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
import { assertSchedulable, nextCronRun } from './cron-pattern.ts';
import {
  assertAttempts,
  assertJobId,
  assertSchedulerId,
  jobDefaults,
  parsePayload,
  tickInstant,
} from './job-runtime.ts';
import { settlesWithin } from '../domain/async.ts';

export interface BullMqJobQueueOptions {
  /** redis:// or rediss:// URL. */
  url: string;
  /** Key prefix of every queue; servers that share work share it. Tests use a random one. Default `agentd`. */
  prefix?: string;
  observer?: JobQueueObserver;
  /** How long close() waits for running handlers before aborting their signal. Default 10 s. */
  drainTimeoutMs?: number;
}

interface Registration {
  handler: (payload: unknown, context: JobContext) => Promise<void>;
  concurrency: number;
}

/** BullMQ computes ticks with the same cron code as the in-process queue (croner, not cron-parser). */
const repeatStrategy: RepeatStrategy = (millis, options) =>
  options.pattern ? nextCronRun(options.pattern, options.tz ?? 'UTC', new Date(millis))?.getTime() : undefined;

/**
 * Jobs on Redis through BullMQ, one BullMQ queue per job name (so concurrency is per name).
 * Schedules are BullMQ job schedulers: each tick has the id `repeat:<scheduleId>:<epoch ms>` and
 * BullMQ creates it atomically, so servers that all declare a schedule run each tick once.
 */
export class BullMqJobQueue implements JobQueue {
  /** Commands of the queues; fails a request after a few retries rather than hanging an HTTP call. */
  private readonly producer: Redis;
  /** Commands of the workers; BullMQ requires unlimited retries there and duplicates it for blocking reads. */
  private readonly consumer: Redis;
  private readonly prefix: string;
  private readonly drainTimeoutMs: number;
  private readonly queues = new Map<JobName, Queue>();
  private readonly registrations = new Map<JobName, Registration>();
  private readonly workers: Worker[] = [];
  private readonly shutdown = new AbortController();
  private state: 'created' | 'started' | 'closing' | 'closed' = 'created';

  constructor(private readonly options: BullMqJobQueueOptions) {
    this.prefix = options.prefix ?? 'agentd';
    this.drainTimeoutMs = options.drainTimeoutMs ?? jobDefaults.drainTimeoutMs;
    this.producer = new Redis(options.url, { maxRetriesPerRequest: 2 });
    this.consumer = new Redis(options.url, { maxRetriesPerRequest: null });
    // ioredis reconnects by itself; without a listener every failed attempt is an unhandled error.
    this.producer.on('error', this.reportError);
    this.consumer.on('error', this.reportError);
  }

  handle<N extends JobName>(name: N, handler: JobHandler<N>, options: HandleOptions = {}): void {
    if (this.state !== 'created') throw new Error(`handle(${name}) must be called before start()`);
    if (this.registrations.has(name)) throw new Error(`a handler for ${name} is already registered`);
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new TypeError(`concurrency must be a positive integer, got ${concurrency}`);
    this.registrations.set(name, { handler: (payload, context) => handler(parsePayload(name, payload), context), concurrency });
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayload<N>, options: EnqueueOptions = {}): Promise<void> {
    this.assertOpen();
    const data = parsePayload(name, payload);
    const attempts = options.attempts ?? jobDefaults.attempts;
    const backoffMs = options.backoffMs ?? jobDefaults.backoffMs;
    assertAttempts(attempts, backoffMs);
    if (options.jobId !== undefined) assertJobId(options.jobId);
    // BullMQ ignores an add whose jobId exists; removing finished jobs makes "exists" mean "not finished yet".
    await this.queue(name).add(name, data, { ...jobOptions(attempts, backoffMs), ...(options.jobId === undefined ? {} : { jobId: options.jobId }) });
  }

  async schedule<N extends JobName>(scheduleId: string, when: CronSchedule, name: N, payload: JobPayload<N>): Promise<void> {
    this.assertOpen();
    assertSchedulerId(scheduleId);
    assertSchedulable(when.cron, when.timezone);
    const data = parsePayload(name, payload);
    // A schedule id lives in the queue of its job name: replacing it with another name moves it.
    await Promise.all(jobNames.filter((other) => other !== name).map((other) => this.queue(other).removeJobScheduler(scheduleId)));
    await this.queue(name).upsertJobScheduler(
      scheduleId,
      { pattern: when.cron, tz: when.timezone },
      { name, data, opts: jobOptions(jobDefaults.attempts, jobDefaults.backoffMs) },
    );
  }

  async unschedule(scheduleId: string): Promise<void> {
    this.assertOpen();
    await Promise.all(jobNames.map((name) => this.queue(name).removeJobScheduler(scheduleId)));
  }

  nextRun(cron: string, timezone: string, after?: Date): Date | null {
    return nextCronRun(cron, timezone, after);
  }

  async start(): Promise<void> {
    this.assertOpen();
    if (this.state === 'started') return;
    this.state = 'started';
    for (const [name, registration] of this.registrations) {
      const worker = new Worker(name, (job: Job) => this.process(name, registration, job), {
        connection: this.consumer,
        prefix: this.prefix,
        concurrency: registration.concurrency,
        settings: { repeatStrategy },
      });
      worker.on('error', this.reportError);
      this.workers.push(worker);
    }
  }

  async close(): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    // pause() stops fetching and resolves when the running jobs have finished.
    const drained = await settlesWithin(Promise.all(this.workers.map((worker) => worker.pause())), this.drainTimeoutMs);
    if (!drained) this.shutdown.abort(new Error('job queue closed before the handler finished'));
    // Forced: a job still running keeps its lock until it expires, then another server runs it again.
    await Promise.allSettled(this.workers.map((worker) => worker.close(!drained)));
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
    await Promise.allSettled([this.producer.quit(), this.consumer.quit()]);
    this.state = 'closed';
  }

  private async process(name: JobName, registration: Registration, job: Job) {
    const jobId = job.id ?? '';
    const attempt = job.attemptsMade + 1;
    const context: JobContext = { attempt, jobId, signal: this.shutdown.signal };
    const scheduledFor = job.repeatJobKey ? tickInstant(jobId) : undefined;
    if (scheduledFor) context.scheduledFor = scheduledFor;
    try {
      await registration.handler(job.data, context);
    } catch (error) {
      const permanent = error instanceof PermanentJobError;
      const willRetry = !permanent && attempt < (job.opts.attempts ?? 1);
      try {
        this.options.observer?.jobFailed?.({ name, jobId, attempt, willRetry, error });
      } catch (observerError) {
        this.reportError(observerError);
      }
      if (permanent) throw new UnrecoverableError(error.message);
      throw error;
    }
  }

  private queue(name: JobName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.producer, prefix: this.prefix, settings: { repeatStrategy } });
      queue.on('error', this.reportError);
      this.queues.set(name, queue);
    }
    return queue;
  }

  private assertOpen() {
    if (this.state === 'closing' || this.state === 'closed') throw new Error('job queue is closed');
  }

  private readonly reportError = (error: unknown) => {
    this.options.observer?.error?.(error instanceof Error ? error : new Error(String(error)));
  };
}

function jobOptions(attempts: number, backoffMs: number): JobsOptions {
  return { attempts, backoff: { type: 'exponential', delay: backoffMs }, removeOnComplete: true, removeOnFail: true };
}
