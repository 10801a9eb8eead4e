import { z } from 'zod';
import { DomainError } from '../domain/errors.ts';

/**
 * Every job the server runs, by name. The schema is the payload's type and its parser: a job read
 * back from Redis may have been written by another version of the server, so handlers never trust
 * its shape.
 */
export const jobPayloads = {
  'task.execute': z.object({
    executionId: z.string().min(1),
    trigger: z.enum(['manual', 'scheduled', 'webhook', 'api']),
  }),
  'task.schedule_tick': z.object({ taskId: z.string().min(1) }),
  'task.notify': z.object({ executionId: z.string().min(1) }),
} as const;

export type JobName = keyof typeof jobPayloads;
export type JobPayload<N extends JobName> = z.infer<(typeof jobPayloads)[N]>;
/** The map from job name to payload type. */
export type JobPayloads = { [N in JobName]: JobPayload<N> };
export const jobNames = Object.keys(jobPayloads) as JobName[];

export interface JobContext {
  /** 1 on the first run, 2 on the first retry, ... */
  attempt: number;
  /** The id given to `enqueue`, a generated one, or `repeat:<scheduleId>:<epoch ms>` for a schedule tick. */
  jobId: string;
  /** The cron instant this run belongs to; set for schedule ticks only. */
  scheduledFor?: Date;
  /** Aborted when `close()` stops waiting for running handlers; the job may then run again elsewhere. */
  signal: AbortSignal;
}

export type JobHandler<N extends JobName> = (payload: JobPayload<N>, context: JobContext) => Promise<void>;

export interface HandleOptions {
  /** Handlers of this name running at once in this process. Default 1. */
  concurrency?: number;
}

export interface EnqueueOptions {
  /**
   * Deduplication key: a second enqueue with the same id (and job name) is a no-op while the first
   * job is waiting, running or waiting for a retry. Once it finished the id may be used again.
   * Must not be an integer or contain ':' (BullMQ reserves both).
   */
  jobId?: string;
  /** Runs in total, first one included. Default 3. */
  attempts?: number;
  /** Delay before the first retry; doubles each retry. Default 1000 ms. */
  backoffMs?: number;
}

export interface CronSchedule {
  /** Five fields (minute ... day of week), six with leading seconds, or a nickname such as `@daily`. */
  cron: string;
  /** IANA time zone the cron is read in, e.g. `Europe/Berlin`. */
  timezone: string;
}

/** Retrying will not help (bad payload, the thing it refers to is gone): the job fails at once. */
export class PermanentJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

/** A cron expression or time zone that cannot be scheduled; `reason` says why, for the user. */
export class InvalidCronError extends DomainError {
  constructor(
    readonly cron: string,
    readonly timezone: string,
    readonly reason: string,
  ) {
    super('INVALID_SCHEDULE', `schedule "${cron}" (${timezone}) is invalid: ${reason}`, { cron, timezone, reason });
    this.name = 'InvalidCronError';
  }
}

export interface JobFailure {
  name: JobName;
  jobId: string;
  attempt: number;
  /** False when the attempts are used up or the error was a PermanentJobError. */
  willRetry: boolean;
  error: unknown;
}

/** What a queue reports that no caller awaits. */
export interface JobQueueObserver {
  jobFailed?(failure: JobFailure): void;
  /** A connection or internal error (Redis unreachable, a tick that could not be enqueued). */
  error?(error: Error): void;
}

/**
 * Typed background jobs and cron schedules. In-process on one machine; BullMQ on Redis across
 * several, where each schedule tick runs once however many servers declared the schedule.
 */
export interface JobQueue {
  /** Registers the handler of one job name; call before `start()`, once per name. */
  handle<N extends JobName>(name: N, handler: JobHandler<N>, options?: HandleOptions): void;
  enqueue<N extends JobName>(name: N, payload: JobPayload<N>, options?: EnqueueOptions): Promise<void>;
  /** Creates or replaces the recurring job `scheduleId`. Throws InvalidCronError before touching anything. */
  schedule<N extends JobName>(scheduleId: string, when: CronSchedule, name: N, payload: JobPayload<N>): Promise<void>;
  /** Removes a schedule; a no-op when there is none. A tick already enqueued still runs. */
  unschedule(scheduleId: string): Promise<void>;
  /** The first tick strictly after `after` (default now), or null when the cron never fires again. Throws InvalidCronError. */
  nextRun(cron: string, timezone: string, after?: Date): Date | null;
  /** Starts running handlers (and, in process, firing schedules). */
  start(): Promise<void>;
  /** Stops taking jobs, waits a bounded time for running handlers (then aborts their signal), and releases everything. */
  close(): Promise<void>;
}
