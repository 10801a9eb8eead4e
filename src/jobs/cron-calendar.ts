import { DomainError } from '../domain/errors.ts';
import { InvalidCronError } from '../ports/job-queue.ts';
import type { ScheduleCalendar } from '../ports/schedule.ts';
import { nextCronRun } from './cron-pattern.ts';

/**
 * Task schedules: classic five-field cron (minute hour day-of-month month day-of-week, plus
 * @hourly, @daily, ...) in an IANA time zone. The queue also takes seconds; tasks may not: a task
 * runs an agent, and schedules finer than a minute would only burn money.
 */
export class CronCalendar implements ScheduleCalendar {
  validate(cron: string | null, timezone: string): void {
    if (cron === null) return assertTimeZone(timezone);
    if (this.nextRun(cron, timezone, new Date()) === null) throw new DomainError('INVALID_SCHEDULE', `schedule_cron "${cron}" never fires`);
  }

  nextRun(cron: string, timezone: string, after: Date): Date | null {
    try {
      return nextCronRun(cron, timezone, after, '5-part');
    } catch (error) {
      if (!(error instanceof InvalidCronError) || error.reason.includes(timezone)) throw error;
      throw new DomainError('INVALID_SCHEDULE', `schedule_cron "${cron}" is not a valid five-field cron expression: ${error.reason}`);
    }
  }
}

function assertTimeZone(timezone: string) {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new DomainError('INVALID_SCHEDULE', `timezone "${timezone}" is not a known IANA time zone`);
  }
}
