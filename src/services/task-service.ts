import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { NotificationConfig, Page, ReportFormat, SdkOptions, Task } from '../domain/entities.ts';
import { DomainError } from '../domain/errors.ts';
import { canSee, isAdmin, type Actor } from '../domain/roles.ts';
import type { Clock } from '../ports/clock.ts';
import type { PromptRenderer } from '../ports/prompt-renderer.ts';
import type { NewTask, PageRequest, Store, TaskFilter } from '../ports/repositories.ts';
import type { ScheduleCalendar } from '../ports/schedule.ts';
import type { SecretSealer } from '../ports/secrets.ts';
import { auditOf } from './audit-service.ts';
import { assertCanWrite } from './session-service.ts';
import type { ToolSecrets } from './tool-secrets.ts';

export interface TaskInput {
  name: string;
  description?: string | null | undefined;
  prompt_template: string;
  allowed_tools?: string[] | undefined;
  disallowed_tools?: string[] | undefined;
  sdk_options?: SdkOptions | undefined;
  is_scheduled?: boolean | undefined;
  schedule_cron?: string | null | undefined;
  /** Defaults to `is_scheduled`: a task put on a schedule runs on it unless said otherwise. */
  schedule_enabled?: boolean | undefined;
  timezone?: string | undefined;
  generate_report?: boolean | undefined;
  report_format?: ReportFormat | undefined;
  notification_config?: NotificationConfig | null | undefined;
  tags?: string[] | undefined;
  is_active?: boolean | undefined;
}

export type TaskChange = Partial<TaskInput>;

/** A task with what its prompt template needs. */
export type TaskView = Task & { variables: string[] };

const taskNotFound = () => new DomainError('TASK_NOT_FOUND', 'Task not found');

/** Task definitions: the prompt template checked, the schedule validated, owned by one user. */
export class TaskService {
  constructor(
    private readonly store: Store,
    private readonly renderer: PromptRenderer,
    private readonly calendar: ScheduleCalendar,
    private readonly clock: Clock,
    private readonly secrets: SecretSealer,
    private readonly toolSecrets: ToolSecrets,
    /** Told after every write, with the task as it now is (or null once deleted): the scheduler follows. */
    private readonly changed: (taskId: string, task: Task | null) => Promise<void> = async () => undefined,
  ) {}

  async create(actor: Actor, input: TaskInput): Promise<TaskView> {
    assertCanWrite(actor);
    const isScheduled = input.is_scheduled ?? false;
    const task: NewTask = {
      userId: actor.userId,
      name: input.name,
      description: input.description ?? null,
      promptTemplate: input.prompt_template,
      allowedTools: input.allowed_tools ?? [],
      disallowedTools: input.disallowed_tools ?? [],
      sdkOptions: this.toolSecrets.seal(input.sdk_options ?? {}),
      isScheduled,
      scheduleCron: input.schedule_cron ?? null,
      scheduleEnabled: input.schedule_enabled ?? isScheduled,
      timezone: input.timezone ?? 'UTC',
      generateReport: input.generate_report ?? false,
      reportFormat: input.report_format ?? 'json',
      notificationConfig: this.sealedNotification(input.notification_config, null) ?? null,
      tags: input.tags ?? [],
      isActive: input.is_active ?? true,
      nextRunAt: null,
    };
    const { variables } = await this.renderer.inspect(task.promptTemplate);
    task.nextRunAt = this.nextRunOf(task);
    const created = await this.store.transaction(async (repos) => {
      const row = await repos.tasks.insert(task);
      await repos.audit.insert(auditOf(actor, { eventType: 'task.created', category: 'task', resourceType: 'task', resourceId: row.id, details: { is_scheduled: row.isScheduled } }));
      return row;
    });
    await this.changed(created.id, created);
    return { ...created, variables };
  }

  async list(actor: Actor, filter: Omit<TaskFilter, 'userId'>, page: PageRequest): Promise<Page<TaskView>> {
    const found = await this.store.tasks.list({ ...filter, userId: isAdmin(actor) ? undefined : actor.userId }, page);
    return { ...found, items: await Promise.all(found.items.map((task) => this.withVariables(task))) };
  }

  async get(actor: Actor, id: string): Promise<TaskView> {
    return this.withVariables(await this.find(actor, id));
  }

  async update(actor: Actor, id: string, change: TaskChange): Promise<TaskView> {
    assertCanWrite(actor);
    const current = await this.find(actor, id);
    const patch: Partial<NewTask> = {
      name: change.name,
      description: change.description,
      promptTemplate: change.prompt_template,
      allowedTools: change.allowed_tools,
      disallowedTools: change.disallowed_tools,
      sdkOptions: change.sdk_options && this.toolSecrets.seal(change.sdk_options, current.sdkOptions),
      isScheduled: change.is_scheduled,
      scheduleCron: change.schedule_cron,
      scheduleEnabled: change.schedule_enabled,
      timezone: change.timezone,
      generateReport: change.generate_report,
      reportFormat: change.report_format,
      notificationConfig: this.sealedNotification(change.notification_config, current.notificationConfig),
      tags: change.tags,
      isActive: change.is_active,
    };
    const next = { ...current, ...definedOnly(patch) };
    const { variables } = await this.renderer.inspect(next.promptTemplate);
    patch.nextRunAt = this.nextRunOf(next);
    const updated = await this.store.transaction(async (repos) => {
      const row = await repos.tasks.update(id, patch);
      if (!row) throw taskNotFound();
      await repos.audit.insert(auditOf(actor, { eventType: 'task.updated', category: 'task', resourceType: 'task', resourceId: id, details: { fields: Object.keys(change) } }));
      return row;
    });
    await this.changed(id, updated);
    return { ...updated, variables };
  }

  async delete(actor: Actor, id: string): Promise<void> {
    assertCanWrite(actor);
    await this.find(actor, id);
    await this.store.transaction(async (repos) => {
      if (!(await repos.tasks.delete(id))) throw taskNotFound();
      await repos.audit.insert(auditOf(actor, { eventType: 'task.deleted', category: 'task', resourceType: 'task', resourceId: id }));
    });
    await this.changed(id, null);
  }

  /**
   * A new token for `POST /tasks/{id}/trigger`, replacing any earlier one. Only its hash is kept:
   * the token is shown this once.
   */
  async issueTriggerToken(actor: Actor, id: string): Promise<string> {
    assertCanWrite(actor);
    await this.find(actor, id);
    const token = `agtt_${randomBytes(32).toString('base64url')}`;
    await this.store.transaction(async (repos) => {
      await repos.tasks.setTriggerSecretHash(id, hashToken(token));
      await repos.audit.insert(auditOf(actor, { eventType: 'task.trigger_token_issued', category: 'task', resourceType: 'task', resourceId: id }));
    });
    return token;
  }

  async revokeTriggerToken(actor: Actor, id: string): Promise<void> {
    assertCanWrite(actor);
    await this.find(actor, id);
    await this.store.transaction(async (repos) => {
      await repos.tasks.setTriggerSecretHash(id, null);
      await repos.audit.insert(auditOf(actor, { eventType: 'task.trigger_token_revoked', category: 'task', resourceType: 'task', resourceId: id }));
    });
  }

  /** The task a trigger token opens. An unknown task and a wrong token fail alike, so neither is revealed. */
  async taskForTrigger(id: string, token: string): Promise<Task> {
    const task = await this.store.tasks.findById(id);
    const expected = Buffer.from(task?.triggerSecretHash ?? '', 'hex');
    const given = Buffer.from(hashToken(token), 'hex');
    if (!task || expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new DomainError('TRIGGER_TOKEN_INVALID', 'The trigger token is not valid for this task');
    }
    return task;
  }

  /** The webhook secret in clear, for signing a delivery; undefined when the task has no webhook. */
  webhookSecret(task: Task): string | undefined {
    const sealed = task.notificationConfig?.secret;
    return sealed === undefined ? undefined : this.secrets.open(sealed);
  }

  /** A dry run of the prompt an execution would send: the same rendering, no session. */
  async render(actor: Actor, id: string, variables: Readonly<Record<string, unknown>>): Promise<string> {
    return this.renderPrompt(await this.find(actor, id), variables);
  }

  /**
   * The prompt for one execution of `task`. For callers that have already authorised the task
   * (the executor). TEMPLATE_VARIABLE_MISSING names a missing variable; TEMPLATE_RENDER_FAILED
   * reports a limit hit; TEMPLATE_INVALID if the stored template no longer parses.
   */
  renderPrompt(task: Pick<Task, 'promptTemplate'>, variables: Readonly<Record<string, unknown>>): Promise<string> {
    return this.renderer.render(task.promptTemplate, variables);
  }

  /** A task the actor may see: their own, or any for an admin. Others' are not found. */
  private async find(actor: Actor, id: string): Promise<Task> {
    const task = await this.store.tasks.findById(id);
    if (!task || !canSee(actor, task.userId)) throw taskNotFound();
    return task;
  }

  private async withVariables(task: Task): Promise<TaskView> {
    try {
      return { ...task, variables: (await this.renderer.inspect(task.promptTemplate)).variables };
    } catch {
      // Stored templates parsed when written; a stricter engine later must not make the task unreadable.
      return { ...task, variables: [] };
    }
  }

  /**
   * The notification config as stored: the secret sealed. A change may leave the secret out and
   * keeps the stored one; a webhook without any secret is refused, since every delivery is signed.
   */
  private sealedNotification(given: NotificationConfig | null | undefined, current: NotificationConfig | null): NotificationConfig | null | undefined {
    if (!given?.webhook_url) return given === undefined ? undefined : null;
    const secret = given.secret === undefined ? current?.secret : this.secrets.seal(given.secret);
    if (secret === undefined) throw new DomainError('WEBHOOK_SECRET_REQUIRED', 'notification_config.secret is required with a webhook_url: every delivery is signed with it');
    return { webhook_url: given.webhook_url, secret };
  }

  /** Validates the schedule and says when it fires next; null unless it is on, enabled and active. */
  private nextRunOf(task: Pick<Task, 'isScheduled' | 'scheduleCron' | 'scheduleEnabled' | 'timezone' | 'isActive'>): Date | null {
    if (task.isScheduled && !task.scheduleCron) throw new DomainError('INVALID_SCHEDULE', 'schedule_cron is required when is_scheduled is true');
    this.calendar.validate(task.scheduleCron, task.timezone);
    if (!task.isScheduled || !task.scheduleEnabled || !task.isActive || !task.scheduleCron) return null;
    return this.calendar.nextRun(task.scheduleCron, task.timezone, this.clock.now());
  }
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
