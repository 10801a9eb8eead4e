/** Cron arithmetic for task schedules; kept behind a port so services do not depend on a cron library. */
export interface ScheduleCalendar {
  /** Throws INVALID_SCHEDULE with the reason for an unknown time zone or, when a cron is given, a bad expression or one that never fires. */
  validate(cron: string | null, timezone: string): void;
  /** The first tick strictly after `after`, or null when there is none. */
  nextRun(cron: string, timezone: string, after: Date): Date | null;
}
