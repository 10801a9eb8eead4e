import type { ExecutionTrigger, Page, ReportFormat, Task, TaskExecution } from '../domain/entities.ts';
import { DomainError, messageOf } from '../domain/errors.ts';
import { canSee, type Actor } from '../domain/roles.ts';
import type { Clock } from '../ports/clock.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import type { PageRequest, Store } from '../ports/repositories.ts';
import type { WorkspaceStorage } from '../ports/workspace-storage.ts';
import type { AgentSessionService } from './agents/agent-session-service.ts';
import { auditOf } from './audit-service.ts';
import { assertCanWrite, type SessionService } from './session-service.ts';
import type { TaskService } from './task-service.ts';

const executionNotFound = () => new DomainError('EXECUTION_NOT_FOUND', 'Task execution not found');

/** Writes an execution's report once it finished (the reports service). */
export interface ExecutionReports {
  generateForExecution(executionId: string, format: ReportFormat): Promise<{ id: string }>;
}

/** Told of every execution that reached `completed` or `failed` (webhook notifications). */
export interface ExecutionListener {
  executionFinished(execution: TaskExecution): Promise<void>;
}

export interface ExecutionOptions {
  /** This server's identity, stable across its restarts (as for sessions). */
  runnerId: string;
  reports?: ExecutionReports | undefined;
  listener?: ExecutionListener | undefined;
  warn?: (message: string, details: Record<string, unknown>) => void;
}

/**
 * The reference's task execution workflow: render the prompt, a non-interactive session, the
 * prompt through the agent, messages and tool calls recorded, a report, the working directory
 * archived, the execution completed or failed with its duration and cost, its webhook told. Runs
 * as a job.
 */
export class TaskExecutionService {
  private readonly runnerId: string;

  constructor(
    private readonly store: Store,
    private readonly tasks: TaskService,
    private readonly sessions: SessionService,
    private readonly agents: AgentSessionService,
    private readonly storage: WorkspaceStorage,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
    private readonly options: ExecutionOptions,
  ) {
    this.runnerId = options.runnerId;
  }

  /** Checks what can be checked now (access, the variables, the quota), then queues the run. */
  async execute(actor: Actor, taskId: string, variables: Record<string, unknown>): Promise<TaskExecution> {
    assertCanWrite(actor);
    return this.start(actor, await this.tasks.get(actor, taskId), variables, 'manual');
  }

  /** `POST /tasks/{id}/trigger`: the token stands for the task's owner. */
  async trigger(taskId: string, token: string, variables: Record<string, unknown>): Promise<TaskExecution> {
    const task = await this.tasks.taskForTrigger(taskId, token);
    const owner = await this.store.users.findById(task.userId);
    if (!owner?.isActive) throw new DomainError('ACCOUNT_DISABLED', "The task owner's account is disabled");
    const actor: Actor = { userId: owner.id, role: owner.role };
    assertCanWrite(actor);
    return this.start(actor, task, variables, 'webhook');
  }

  /**
   * The scheduler's run of one cron instant. Null when the instant already has its execution
   * (another server fired it). Whatever stops it from starting is recorded as a failed execution,
   * since no caller is there to be told.
   */
  async executeScheduled(task: Task, scheduledFor: Date): Promise<TaskExecution | null> {
    const owner = await this.store.users.findById(task.userId);
    if (!owner?.isActive) {
      // A disabled account spends nothing: its ticks pass without an execution until it is enabled again.
      this.options.warn?.('scheduled run skipped: the task owner is disabled', { task_id: task.id, scheduled_for: scheduledFor.toISOString() });
      return null;
    }
    return this.start({ userId: owner.id, role: owner.role }, task, {}, 'scheduled', scheduledFor);
  }

  private start(actor: Actor, task: Task, variables: Record<string, unknown>, trigger: Exclude<ExecutionTrigger, 'scheduled'>): Promise<TaskExecution>;
  private start(actor: Actor, task: Task, variables: Record<string, unknown>, trigger: 'scheduled', scheduledFor: Date): Promise<TaskExecution | null>;
  private async start(actor: Actor, task: Task, variables: Record<string, unknown>, trigger: ExecutionTrigger, scheduledFor: Date | null = null): Promise<TaskExecution | null> {
    // The row first: for a schedule it is the claim on the instant, before any session exists.
    const execution = await this.store.taskExecutions.insert({ taskId: task.id, userId: task.userId, sessionId: null, trigger, variables, runnerId: this.runnerId, scheduledFor });
    if (!execution) return null;
    let sessionId: string | undefined;
    try {
      if (!task.isActive) throw new DomainError('TASK_INACTIVE', 'The task is not active');
      assertCanWrite(actor);
      await this.tasks.renderPrompt(task, variables);
      // The session belongs to the task's owner, who sees it with the rest of their sessions.
      const session = await this.sessions.create(actor, {
        name: `task: ${task.name}`,
        mode: 'non_interactive',
        sdk_options: {
          ...task.sdkOptions,
          ...(task.allowedTools.length > 0 ? { allowed_tools: task.allowedTools } : {}),
          ...(task.disallowedTools.length > 0 ? { disallowed_tools: task.disallowedTools } : {}),
        },
      });
      sessionId = session.id;
      const started = await this.store.transaction(async (repos) => {
        const updated = await repos.taskExecutions.update(execution.id, { sessionId: session.id });
        await repos.audit.insert(auditOf(actor, { eventType: 'task.execution_requested', category: 'task', resourceType: 'task', resourceId: task.id, details: { execution_id: execution.id, trigger } }));
        return updated ?? execution;
      });
      // One attempt: a second run would pay the model again for the same work.
      await this.jobs.enqueue('task.execute', { executionId: execution.id, trigger }, { jobId: execution.id, attempts: 1 });
      return started;
    } catch (error) {
      // A session made for a run that never started would hold a place in the owner's quota.
      if (sessionId) await this.sessions.terminate(actor, sessionId, 'its task run could not start').catch((failure: unknown) => this.options.warn?.('could not end the session of a run that did not start', { session_id: sessionId, error: messageOf(failure) }));
      if (trigger !== 'scheduled') {
        // The caller hears why; no execution is left behind for a request that was refused.
        await this.store.taskExecutions.delete(execution.id);
        throw error;
      }
      return this.finish(execution, ['pending'], 'failed', { errorMessage: `The scheduled run could not start: ${messageOf(error)}`, completedAt: this.clock.now() }, task);
    }
  }

  /** The job. Safe to run twice: only a pending execution starts. */
  async run(executionId: string): Promise<void> {
    const started = this.clock.now();
    const execution = await this.store.taskExecutions.transition(executionId, ['pending'], 'running', { startedAt: started, runnerId: this.runnerId });
    if (!execution) return;
    const [task, owner] = await Promise.all([this.store.tasks.findById(execution.taskId), this.store.users.findById(execution.userId)]);
    let errorMessage: string | null = null;
    try {
      if (!task || !owner) throw new Error('The task or its owner no longer exists');
      if (!execution.sessionId) throw new Error('The server stopped while starting this run; it has no session');
      const prompt = await this.tasks.renderPrompt(task, execution.variables);
      const turn = await this.agents.sendMessage({ userId: owner.id, role: owner.role }, execution.sessionId, prompt);
      if (turn.is_error) errorMessage = `The agent stopped: ${turn.stop_reason}`;
    } catch (error) {
      errorMessage = messageOf(error);
    }
    const completedAt = this.clock.now();
    const session = execution.sessionId ? await this.store.sessions.findById(execution.sessionId) : undefined;
    if (execution.sessionId) {
      await this.sessions.transition(execution.sessionId, ['active', 'created'], 'completed', { completedAt });
      await this.agents.stop(execution.sessionId);
      await this.storage.archiveWorkingDirectory(execution.sessionId);
    }
    await this.finish(
      execution,
      ['running'],
      errorMessage ? 'failed' : 'completed',
      { costUsd: session?.totalCostUsd ?? 0, durationMs: completedAt.getTime() - started.getTime(), errorMessage, completedAt },
      task,
    );
  }

  /**
   * The end of an execution, once: the status set (unless a cancel came first), the audit row,
   * the report when the task asks for one, then the listener.
   */
  private async finish(
    execution: TaskExecution,
    from: readonly ['pending'] | readonly ['running'],
    to: 'completed' | 'failed',
    patch: { errorMessage: string | null; completedAt: Date; costUsd?: number; durationMs?: number },
    task: Task | undefined,
  ): Promise<TaskExecution> {
    const finished = await this.store.taskExecutions.transition(execution.id, from, to, patch);
    if (!finished) return execution;
    await this.store.audit.insert({
      eventType: 'task.executed',
      category: 'task',
      userId: finished.userId,
      resourceType: 'task',
      resourceId: finished.taskId,
      details: { execution_id: finished.id, status: finished.status, trigger: finished.trigger, cost_usd: finished.costUsd, duration_ms: finished.durationMs },
    });
    const reported = await this.report(finished, task);
    await this.options.listener?.executionFinished(reported).catch((error: unknown) => this.options.warn?.('could not queue the webhook notification', { execution_id: finished.id, error: messageOf(error) }));
    return reported;
  }

  /** A report is a convenience: when it cannot be written the execution keeps its outcome. */
  private async report(execution: TaskExecution, task: Task | undefined): Promise<TaskExecution> {
    const reports = this.options.reports;
    if (!reports || !task?.generateReport || !execution.sessionId) return execution;
    try {
      const report = await reports.generateForExecution(execution.id, task.reportFormat);
      return (await this.store.taskExecutions.update(execution.id, { reportId: report.id })) ?? execution;
    } catch (error) {
      this.options.warn?.('could not write the report of an execution', { execution_id: execution.id, error: messageOf(error) });
      return execution;
    }
  }

  /**
   * At start-up, for this server's own runs: one that was running died with the last process and
   * is failed (its session was marked interrupted); pending ones are queued again, since the
   * in-process queue forgets them (with BullMQ the job id makes this a no-op).
   */
  async recover(): Promise<{ failed: number; requeued: number }> {
    let failed = 0;
    for (const execution of await this.store.taskExecutions.findByStatus(['running'], this.runnerId)) {
      const task = await this.store.tasks.findById(execution.taskId);
      const done = await this.finish(execution, ['running'], 'failed', { errorMessage: 'The server stopped during this run; it was interrupted', completedAt: this.clock.now() }, task);
      if (done.status === 'failed') failed += 1;
    }
    const pending = await this.store.taskExecutions.findByStatus(['pending'], this.runnerId);
    for (const execution of pending) {
      await this.jobs.enqueue('task.execute', { executionId: execution.id, trigger: execution.trigger }, { jobId: execution.id, attempts: 1 });
    }
    return { failed, requeued: pending.length };
  }

  async cancel(actor: Actor, executionId: string): Promise<TaskExecution> {
    assertCanWrite(actor);
    const execution = await this.get(actor, executionId);
    const cancelled = await this.store.taskExecutions.transition(executionId, ['pending', 'running'], 'cancelled', { completedAt: this.clock.now(), errorMessage: 'cancelled by a user' });
    if (!cancelled) throw new DomainError('INVALID_STATE_TRANSITION', `A ${execution.status} execution cannot be cancelled`);
    if (execution.status === 'running' && execution.sessionId) await this.agents.interrupt({ userId: execution.userId, role: 'user' }, execution.sessionId);
    return cancelled;
  }

  async get(actor: Actor, executionId: string): Promise<TaskExecution> {
    const execution = await this.store.taskExecutions.findById(executionId);
    if (!execution || !canSee(actor, execution.userId)) throw executionNotFound();
    return execution;
  }

  async listForTask(actor: Actor, taskId: string, page: PageRequest): Promise<Page<TaskExecution>> {
    await this.tasks.get(actor, taskId);
    return this.store.taskExecutions.listForTask(taskId, page);
  }
}
