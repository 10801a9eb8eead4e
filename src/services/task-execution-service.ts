import type { Page, TaskExecution, ExecutionTrigger } from '../domain/entities.ts';
import { DomainError } from '../domain/errors.ts';
import { isAdmin, type Actor } from '../domain/roles.ts';
import type { Clock } from '../ports/clock.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import type { PageRequest, Store } from '../ports/repositories.ts';
import type { WorkspaceStorage } from '../ports/workspace-storage.ts';
import type { AgentSessionService } from './agents/agent-session-service.ts';
import { auditOf } from './audit-service.ts';
import { assertCanWrite, type SessionService } from './session-service.ts';
import type { TaskService } from './task-service.ts';

const executionNotFound = () => new DomainError('EXECUTION_NOT_FOUND', 'Task execution not found');

/**
 * The reference's task execution workflow: render the prompt, a non-interactive session, the
 * prompt through the agent, messages and tool calls recorded, the working directory archived,
 * the execution completed or failed with its duration and cost. Runs as a job.
 */
export class TaskExecutionService {
  constructor(
    private readonly store: Store,
    private readonly tasks: TaskService,
    private readonly sessions: SessionService,
    private readonly agents: AgentSessionService,
    private readonly storage: WorkspaceStorage,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
    /** This server's identity, stable across its restarts (as for sessions). */
    private readonly runnerId: string,
  ) {}

  /** Checks what can be checked now (access, the variables), then queues the run. */
  async execute(actor: Actor, taskId: string, variables: Record<string, unknown>, trigger: ExecutionTrigger = 'manual'): Promise<TaskExecution> {
    assertCanWrite(actor);
    const task = await this.tasks.get(actor, taskId);
    if (!task.isActive) throw new DomainError('TASK_INACTIVE', 'The task is not active');
    await this.tasks.renderPrompt(task, variables);
    // The session belongs to the task's owner, who sees it with the rest of their sessions.
    const owner: Actor = { userId: task.userId, role: 'user' };
    const session = await this.sessions.create(owner, {
      name: `task: ${task.name}`,
      mode: 'non_interactive',
      sdk_options: {
        ...task.sdkOptions,
        ...(task.allowedTools.length > 0 ? { allowed_tools: task.allowedTools } : {}),
        ...(task.disallowedTools.length > 0 ? { disallowed_tools: task.disallowedTools } : {}),
      },
    });
    const execution = await this.store.transaction(async (repos) => {
      const created = await repos.taskExecutions.insert({ taskId, userId: task.userId, sessionId: session.id, trigger, variables, runnerId: this.runnerId });
      await repos.audit.insert(auditOf(actor, { eventType: 'task.execution_requested', category: 'task', resourceType: 'task', resourceId: taskId, details: { execution_id: created.id, trigger } }));
      return created;
    });
    // One attempt: a second run would pay the model again for the same work.
    await this.jobs.enqueue('task.execute', { executionId: execution.id, trigger }, { jobId: execution.id, attempts: 1 });
    return execution;
  }

  /** The job. Safe to run twice: only a pending execution starts. */
  async run(executionId: string): Promise<void> {
    const started = this.clock.now();
    const execution = await this.store.taskExecutions.transition(executionId, ['pending'], 'running', { startedAt: started, runnerId: this.runnerId });
    if (!execution?.sessionId) return;
    const [task, owner] = await Promise.all([this.store.tasks.findById(execution.taskId), this.store.users.findById(execution.userId)]);
    let errorMessage: string | null = null;
    try {
      if (!task || !owner) throw new Error('The task or its owner no longer exists');
      const prompt = await this.tasks.renderPrompt(task, execution.variables);
      const turn = await this.agents.sendMessage({ userId: owner.id, role: owner.role }, execution.sessionId, prompt);
      if (turn.is_error) errorMessage = `The agent stopped: ${turn.stop_reason}`;
    } catch (error) {
      errorMessage = error instanceof Error ? error.message : String(error);
    }
    const completedAt = this.clock.now();
    const session = await this.store.sessions.findById(execution.sessionId);
    const finished = await this.store.taskExecutions.transition(executionId, ['running'], errorMessage ? 'failed' : 'completed', {
      costUsd: session?.totalCostUsd ?? 0,
      durationMs: completedAt.getTime() - started.getTime(),
      errorMessage,
      completedAt,
    });
    await this.sessions.transition(execution.sessionId, ['active', 'created'], 'completed', { completedAt });
    await this.agents.stop(execution.sessionId);
    await this.storage.archiveWorkingDirectory(execution.sessionId);
    if (finished) {
      await this.store.audit.insert({
        eventType: 'task.executed',
        category: 'task',
        userId: execution.userId,
        resourceType: 'task',
        resourceId: execution.taskId,
        details: { execution_id: executionId, status: finished.status, cost_usd: finished.costUsd, duration_ms: finished.durationMs },
      });
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
      const done = await this.store.taskExecutions.transition(execution.id, ['running'], 'failed', {
        errorMessage: 'The server stopped during this run; it was interrupted',
        completedAt: this.clock.now(),
      });
      if (done) failed += 1;
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
    if (!execution || (execution.userId !== actor.userId && !isAdmin(actor))) throw executionNotFound();
    return execution;
  }

  async listForTask(actor: Actor, taskId: string, page: PageRequest): Promise<Page<TaskExecution>> {
    await this.tasks.get(actor, taskId);
    return this.store.taskExecutions.listForTask(taskId, page);
  }
}
