import { Cron, type CronOptions } from 'croner';
import { InvalidCronError } from '../ports/job-queue.ts';

/**
 * Cron arithmetic shared by both queues (BullMQ is given it as its repeat strategy), so a pattern
 * accepted by one fires at the same instants on the other. Five fields, or six with seconds first.
 */
export function nextCronRun(cron: string, timezone: string, after: Date = new Date(), fields: CronOptions['mode'] = '5-or-6-parts'): Date | null {
  assertTimeZone(cron, timezone);
  let pattern: Cron;
  try {
    pattern = new Cron(cron, { ...cronOptions(timezone, true), mode: fields });
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^CronPattern:\s*/, '') : String(error);
    throw new InvalidCronError(cron, timezone, reason);
  }
  try {
    return pattern.nextRun(after);
  } finally {
    pattern.stop();
  }
}

/** Throws InvalidCronError unless the cron parses in the time zone and fires at least once more. */
export function assertSchedulable(cron: string, timezone: string): void {
  if (nextCronRun(cron, timezone) === null) throw new InvalidCronError(cron, timezone, 'it never fires');
}

export function cronOptions(timezone: string, paused: boolean): CronOptions {
  return { timezone, mode: '5-or-6-parts', paused };
}

function assertTimeZone(cron: string, timezone: string) {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new InvalidCronError(cron, timezone, `"${timezone}" is not a known IANA time zone`);
  }
}
