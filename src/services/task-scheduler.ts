import { settlesWithin } from '../domain/async.ts';
import type { Task } from '../domain/entities.ts';
import type { Clock } from '../ports/clock.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import type { Store } from '../ports/repositories.ts';
import type { TaskExecutionService } from './task-execution-service.ts';

const scheduleIdOf = (taskId: string) => `task-${taskId}`;

const onSchedule = (task: Task): task is Task & { scheduleCron: string } => task.isActive && task.isScheduled && task.scheduleEnabled && task.scheduleCron !== null;

/**
 * Keeps the job queue's cron schedules in step with the tasks, and runs each tick. The database
 * is the truth: every start declares all schedules again, and a tick of a task that is gone or
 * off the schedule removes its schedule instead of running.
 */
export class TaskScheduler {
  constructor(
    private readonly store: Store,
    private readonly jobs: JobQueue,
    private readonly executions: Pick<TaskExecutionService, 'executeScheduled'>,
    private readonly clock: Clock,
    private readonly warn: (message: string, details: Record<string, unknown>) => void,
    private readonly queueTimeoutMs = 5000,
  ) {}

  /**
   * After a task was written (null: deleted). A queue that fails or does not answer in time (Redis
   * down) does not fail the write: the change lands when the queue answers, or at the next start.
   */
  async follow(taskId: string, task: Task | null): Promise<void> {
    const change = task && onSchedule(task)
      ? this.jobs.schedule(scheduleIdOf(taskId), { cron: task.scheduleCron, timezone: task.timezone }, 'task.schedule_tick', { taskId })
      : this.jobs.unschedule(scheduleIdOf(taskId));
    const failed = (error: unknown) => this.warn('could not update the schedule of a task; every start declares all schedules again', { task_id: taskId, error: String(error) });
    if (!(await settlesWithin(change.catch(failed), this.queueTimeoutMs))) failed(new Error(`the job queue did not answer within ${this.queueTimeoutMs} ms`));
  }

  /** Every scheduled task declared again; for start-up, where it runs in the background. */
  async declareAll(): Promise<number> {
    const tasks = await this.store.tasks.listScheduled();
    for (const task of tasks) await this.follow(task.id, task);
    return tasks.length;
  }

  /** One tick of a task's schedule, at the cron instant it belongs to. */
  async tick(taskId: string, scheduledFor: Date | undefined): Promise<void> {
    const task = await this.store.tasks.findById(taskId);
    if (!task || !onSchedule(task)) {
      await this.jobs.unschedule(scheduleIdOf(taskId));
      return;
    }
    const instant = scheduledFor ?? this.clock.now();
    if (this.jobs.nextRun(task.scheduleCron, task.timezone, new Date(instant.getTime() - 1))?.getTime() !== instant.getTime()) {
      // A tick of a cron the task no longer has: a server without Redis that missed the change. It catches up instead.
      await this.follow(taskId, task);
      return;
    }
    await this.executions.executeScheduled(task, instant);
    await this.store.tasks.update(taskId, { nextRunAt: this.jobs.nextRun(task.scheduleCron, task.timezone, instant) });
  }
}
