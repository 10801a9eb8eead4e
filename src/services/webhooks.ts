import { createHmac } from 'node:crypto';
import type { Task, TaskExecution, WebhookDelivery } from '../domain/entities.ts';
import { OutboundDenied, type OutboundPolicy } from '../net/outbound.ts';
import type { Clock } from '../ports/clock.ts';
import { PermanentJobError, type JobContext, type JobQueue } from '../ports/job-queue.ts';
import type { Store } from '../ports/repositories.ts';
import type { ExecutionListener } from './task-execution-service.ts';
import { messageOf } from '../domain/errors.ts';

export interface WebhookOptions {
  /** Attempts per delivery, the first included. */
  attempts: number;
  /** Wait before the first retry; doubles with each one. */
  backoffMs: number;
  /** How long one attempt may take, response included. */
  timeoutMs: number;
}

/** The signature header's value: HMAC-SHA256 over `<timestamp>.<body>`, hex, as `sha256=<hex>`. */
export const signatureOf = (secret: string, timestamp: string, body: string) => `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;

/** Statuses worth another attempt: the receiver may answer differently later. */
const retryable = (status: number) => status >= 500 || status === 408 || status === 429;

/**
 * Posts an execution's outcome to its task's webhook, signed with the task's secret, as a job:
 * retried with exponential backoff, each attempt recorded on the execution.
 */
export class WebhookNotifier implements ExecutionListener {
  constructor(
    private readonly store: Store,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
    private readonly outbound: OutboundPolicy,
    private readonly openSecret: (task: Task) => string | undefined,
    private readonly options: WebhookOptions,
  ) {}

  async executionFinished(execution: TaskExecution): Promise<void> {
    const task = await this.store.tasks.findById(execution.taskId);
    if (!task?.notificationConfig?.webhook_url) return;
    await this.jobs.enqueue('task.notify', { executionId: execution.id }, { jobId: `notify-${execution.id}`, attempts: this.options.attempts, backoffMs: this.options.backoffMs });
  }

  /** The job: one attempt. Throws to be retried; a PermanentJobError when retrying cannot help. */
  async deliver(executionId: string, context: Pick<JobContext, 'attempt'>): Promise<void> {
    const execution = await this.store.taskExecutions.findById(executionId);
    const task = execution && (await this.store.tasks.findById(execution.taskId));
    const url = task?.notificationConfig?.webhook_url;
    const secret = task && this.openSecret(task);
    if (!execution || !task || !url || !secret) return;
    const event = `task.execution.${execution.status}`;
    const body = JSON.stringify(payloadOf(event, task, execution));
    const timestamp = String(Math.floor(this.clock.now().getTime() / 1000));
    const began = performance.now();
    const outcome = await this.post(url, body, {
      'x-agentd-event': event,
      'x-agentd-delivery': execution.id,
      'x-agentd-timestamp': timestamp,
      'x-agentd-signature': signatureOf(secret, timestamp, body),
    });
    const delivery: WebhookDelivery = {
      attempt: context.attempt,
      event,
      url,
      status_code: outcome.status,
      ok: outcome.error === null,
      error: outcome.error,
      duration_ms: Math.round(performance.now() - began),
      delivered_at: this.clock.now().toISOString(),
    };
    await this.store.taskExecutions.appendDelivery(execution.id, delivery);
    if (outcome.error === null) return;
    // The origin only: a webhook URL's path is often a secret of its own.
    const message = `webhook delivery to ${new URL(url).origin} failed: ${outcome.error}`;
    throw outcome.denied || (outcome.status !== null && !retryable(outcome.status)) ? new PermanentJobError(message) : new Error(message);
  }

  /** One POST; never throws: the receiver's status, or why there was none. */
  private async post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number | null; error: string | null; denied?: boolean }> {
    try {
      await this.outbound.addressesOf(new URL(url).hostname);
    } catch (error) {
      // Denied: no retry will change that. Unresolvable: DNS may answer next time.
      return { status: null, error: messageOf(error), denied: error instanceof OutboundDenied };
    }
    return fetch(url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(this.options.timeoutMs),
      headers: { 'content-type': 'application/json', 'user-agent': 'agentd-webhooks', ...headers },
      body,
    }).then(
      async (response) => {
        await response.body?.cancel();
        return { status: response.status, error: response.ok ? null : `HTTP ${response.status}` };
      },
      (error: unknown) => ({ status: null, error: error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error) }),
    );
  }
}

/** What the receiver gets: the execution's outcome, and where to read more. */
function payloadOf(event: string, task: Task, execution: TaskExecution) {
  return {
    event,
    task: { id: task.id, name: task.name },
    execution: {
      id: execution.id,
      status: execution.status,
      trigger: execution.trigger,
      session_id: execution.sessionId,
      report_id: execution.reportId,
      cost_usd: execution.costUsd,
      duration_ms: execution.durationMs,
      error_message: execution.errorMessage,
      scheduled_for: execution.scheduledFor?.toISOString() ?? null,
      started_at: execution.startedAt?.toISOString() ?? null,
      completed_at: execution.completedAt?.toISOString() ?? null,
    },
  };
}
