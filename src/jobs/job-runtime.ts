import { jobPayloads, PermanentJobError, type JobName, type JobPayload } from '../ports/job-queue.ts';

/** What both queues share, so they behave alike where the contract suite looks. */
export const jobDefaults = { attempts: 3, backoffMs: 1000, drainTimeoutMs: 10_000 } as const;

/** A stored payload that no longer matches its schema will not match it on a retry either. */
export function parsePayload<N extends JobName>(name: N, raw: unknown): JobPayload<N> {
  const parsed = jobPayloads[name].safeParse(raw);
  if (!parsed.success) throw new PermanentJobError(`invalid payload for job ${name}: ${parsed.error.message}`, { cause: parsed.error });
  return parsed.data as JobPayload<N>;
}

/** BullMQ refuses integer ids and ids with ':' (its schedule ticks own those); the in-process queue refuses them too. */
export function assertJobId(jobId: string): void {
  if (jobId === '' || `${Number.parseInt(jobId, 10)}` === jobId || jobId.includes(':')) {
    throw new TypeError(`job id "${jobId}" must be non-empty, not an integer and without ':'`);
  }
}

export function assertSchedulerId(scheduleId: string): void {
  if (scheduleId === '' || scheduleId.includes(':')) throw new TypeError(`schedule id "${scheduleId}" must be non-empty and without ':'`);
}

export function assertAttempts(attempts: number, backoffMs: number): void {
  if (!Number.isInteger(attempts) || attempts < 1) throw new TypeError(`attempts must be a positive integer, got ${attempts}`);
  if (!Number.isFinite(backoffMs) || backoffMs < 0) throw new TypeError(`backoffMs must be >= 0, got ${backoffMs}`);
}

/** BullMQ's id for the tick of a schedule at one instant; the in-process queue uses the same. */
export const tickJobId = (scheduleId: string, instant: number) => `repeat:${scheduleId}:${instant}`;

export function tickInstant(jobId: string): Date | undefined {
  const match = /^repeat:.+:(\d+)$/.exec(jobId);
  return match?.[1] === undefined ? undefined : new Date(Number(match[1]));
}

/** Exponential, as BullMQ computes it: backoff, 2 x backoff, 4 x backoff, ... */
export const retryDelay = (backoffMs: number, failedAttempt: number) => backoffMs * 2 ** (failedAttempt - 1);

