import { randomUUID } from 'node:crypto';
import type { Page, SdkOptions, Session } from '../domain/entities.ts';
import { DomainError } from '../domain/errors.ts';
import { canWrite, canSee, isAdmin, type Actor } from '../domain/roles.ts';
import { assertTransition, liveStatuses, type SessionMode, type SessionStatus } from '../domain/session-status.ts';
import type { Clock } from '../ports/clock.ts';
import type { PageRequest, Repositories, SessionFilter, Store } from '../ports/repositories.ts';
import type { WorkspaceStorage } from '../ports/workspace-storage.ts';
import { auditOf } from './audit-service.ts';
import type { ToolSecrets } from './tool-secrets.ts';

export interface CreateSessionInput {
  name?: string | undefined;
  mode?: SessionMode | undefined;
  sdk_options?: SdkOptions | undefined;
  /** Start from this session template; the values above override it. */
  template_id?: string | undefined;
}

/** Where session templates come from; wired in by the container. */
export interface SessionTemplateSource {
  /** The input with the template's values under it; TEMPLATE_NOT_FOUND for one the actor may not see. */
  applyTo(actor: Actor, templateId: string, input: CreateSessionInput): Promise<CreateSessionInput>;
}

const noTemplates: SessionTemplateSource = {
  applyTo: async () => {
    throw new DomainError('TEMPLATE_NOT_FOUND', 'Session template not found');
  },
};

/** What runs sessions' agents; wired in by the container once agents exist. */
export interface SessionAgents {
  /** Starts the new session's agent ahead of its first message, when pre-warming is on. */
  prewarm(session: Session): void;
  stop(sessionId: string): Promise<void>;
}

export class SessionService {
  private agents: SessionAgents = { prewarm: () => undefined, stop: async () => undefined };

  constructor(
    private readonly store: Store,
    private readonly storage: WorkspaceStorage,
    private readonly clock: Clock,
    private readonly toolSecrets: ToolSecrets,
    private readonly templates: SessionTemplateSource = noTemplates,
  ) {}

  attachAgents(agents: SessionAgents) {
    this.agents = agents;
  }

  /** The reference's creation workflow: quota, entity, working directory, persist, audit. */
  async create(actor: Actor, request: CreateSessionInput, origin: Partial<Pick<Session, 'parentSessionId' | 'isFork'>> = {}): Promise<Session> {
    assertCanWrite(actor);
    const templateId = request.template_id;
    const input = templateId ? await this.templates.applyTo(actor, templateId, request) : request;
    const sdkOptions = this.toolSecrets.seal(input.sdk_options ?? {});
    const id = randomUUID();
    const workingDirectoryPath = await this.storage.createWorkingDirectory(id);
    try {
      const session = await this.store.transaction(async (repos) => {
        await this.reserveQuota(repos, actor);
        // Counted in the session's transaction; the row lock it takes holds off a concurrent delete.
        if (templateId && !(await repos.templates.incrementUsage(templateId))) throw new DomainError('TEMPLATE_NOT_FOUND', 'Session template not found');
        const session = await repos.sessions.insert({
          id,
          userId: actor.userId,
          name: input.name ?? null,
          mode: input.mode ?? 'interactive',
          sdkOptions,
          workingDirectoryPath,
          parentSessionId: origin.parentSessionId ?? null,
          isFork: origin.isFork ?? false,
          templateId: templateId ?? null,
        });
        await repos.audit.insert(auditOf(actor, { eventType: 'session.created', category: 'session', resourceType: 'session', resourceId: id, details: { mode: session.mode, is_fork: session.isFork, ...(templateId ? { template_id: templateId } : {}) } }));
        return session;
      });
      this.agents.prewarm(session);
      return session;
    } catch (error) {
      await this.storage.removeWorkingDirectory(id);
      if (error instanceof DomainError && error.code === 'QUOTA_EXCEEDED') {
        await this.store.audit.insert(auditOf(actor, { eventType: 'quota.exceeded', category: 'session', resourceType: 'session', details: { quota: 'concurrent_sessions', ...error.details } }));
      }
      throw error;
    }
  }

  /** A session the actor may see: their own, or any for an admin. Others' are not found, not forbidden. */
  async get(actor: Actor, id: string): Promise<Session> {
    const session = await this.store.sessions.findById(id);
    if (!session || !canSee(actor, session.userId)) throw new DomainError('SESSION_NOT_FOUND', 'Session not found');
    return session;
  }

  /** Like `get`, for changes: viewers may look but not touch. */
  async getWritable(actor: Actor, id: string): Promise<Session> {
    const session = await this.get(actor, id);
    assertCanWrite(actor);
    return session;
  }

  list(actor: Actor, filter: Omit<SessionFilter, 'userId'>, page: PageRequest): Promise<Page<Session>> {
    return this.store.sessions.list({ ...filter, userId: isAdmin(actor) ? undefined : actor.userId }, page);
  }

  /** What the actor holds on disk (sessions' working directories and archives, reports), against their limit. */
  async storageUsage(actor: Actor) {
    const user = await this.store.users.findById(actor.userId);
    const sessions = await this.store.sessions.list({ userId: actor.userId }, { skip: 0, limit: 100_000 });
    let workingDirectoryBytes = 0;
    let archiveBytes = 0;
    for (const session of sessions.items) {
      const usage = await this.storage.sessionUsage(session.id);
      workingDirectoryBytes += usage.workingDirectoryBytes;
      archiveBytes += usage.archiveBytes;
    }
    const reportBytes = await this.store.reports.totalSizeForUser(actor.userId);
    return {
      sessions: sessions.total,
      working_directory_bytes: workingDirectoryBytes,
      archive_bytes: archiveBytes,
      report_bytes: reportBytes,
      total_bytes: workingDirectoryBytes + archiveBytes + reportBytes,
      limit_bytes: (user?.maxStorageMb ?? 0) * 1024 * 1024,
    };
  }

  /**
   * Moves a session from one of `from` to `to`, as one compare-and-set: undefined when the session
   * was in none of them (someone else moved it first). Every move must be one the state machine allows.
   */
  async transition(sessionId: string, from: readonly SessionStatus[], to: SessionStatus, patch: Parameters<Repositories['sessions']['transition']>[3] = {}): Promise<Session | undefined> {
    for (const status of from) assertTransition(status, to);
    return this.store.sessions.transition(sessionId, from, to, patch);
  }

  async terminate(actor: Actor, id: string, reason = 'deleted by user'): Promise<void> {
    const session = await this.getWritable(actor, id);
    assertTransition(session.status, 'terminated');
    await this.agents.stop(id);
    await this.store.transaction(async (repos) => {
      const done = await repos.sessions.transition(id, [session.status, ...liveStatuses], 'terminated', { completedAt: this.clock.now() });
      if (!done) throw new DomainError('INVALID_STATE_TRANSITION', `Cannot terminate a ${session.status} session`);
      await repos.audit.insert(auditOf(actor, { eventType: 'session.terminated', category: 'session', resourceType: 'session', resourceId: id, details: { reason } }));
    });
    await this.storage.archiveWorkingDirectory(id);
  }

  private async reserveQuota(repos: Repositories, actor: Actor) {
    // The row lock serialises concurrent creates of one user, so the count below cannot go stale.
    const user = await repos.users.lockById(actor.userId);
    if (!user) throw new DomainError('USER_NOT_FOUND', 'User not found');
    const live = await repos.sessions.countLive(actor.userId);
    if (live >= user.maxConcurrentSessions) {
      throw new DomainError('QUOTA_EXCEEDED', `Concurrent session limit of ${user.maxConcurrentSessions} reached`, { limit: user.maxConcurrentSessions, current: live });
    }
  }
}

export function assertCanWrite(actor: Actor) {
  if (!canWrite(actor)) throw new DomainError('FORBIDDEN', 'Viewers have read-only access');
}
