import type { Session } from '../../domain/entities.ts';
import { DomainError } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { acceptsMessages, type SessionStatus } from '../../domain/session-status.ts';
import type { Clock } from '../../ports/clock.ts';
import type { PageRequest, Store } from '../../ports/repositories.ts';
import type { WorkspaceStorage } from '../../ports/workspace-storage.ts';
import { auditOf } from '../audit-service.ts';
import type { SessionEventLog } from '../session-events.ts';
import type { SessionService } from '../session-service.ts';
import { SessionToolGate } from '../tool-policy.ts';
import type { AgentPool } from './agent-pool.ts';
import { TurnRecorder, type TurnSummary } from './turn-recorder.ts';

const INTERRUPT_GRACE_MS = 3000;

/** The reference's SDKIntegratedSessionService: sessions that talk to a real agent. */
export class AgentSessionService {
  private readonly running = new Map<string, Promise<unknown>>();
  private readonly interrupted = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly sessions: SessionService,
    private readonly pool: AgentPool,
    private readonly events: SessionEventLog,
    private readonly storage: WorkspaceStorage,
    private readonly clock: Clock,
  ) {}

  /** The reference's message flow: check state, PROCESSING, agent, stream, persist then publish, back to ACTIVE. */
  async sendMessage(actor: Actor, sessionId: string, text: string): Promise<TurnSummary> {
    const session = await this.sessions.getWritable(actor, sessionId);
    const claimed = await this.claimTurn(session);
    const turn = this.runTurn(claimed, text);
    this.running.set(sessionId, turn);
    try {
      return await turn;
    } finally {
      this.running.delete(sessionId);
      this.interrupted.delete(sessionId);
    }
  }

  /** Ends the running turn; the session keeps its conversation and accepts the next message. */
  async interrupt(actor: Actor, sessionId: string): Promise<Session> {
    await this.sessions.getWritable(actor, sessionId);
    const turn = this.running.get(sessionId);
    if (turn) {
      this.interrupted.add(sessionId);
      await this.pool.get(sessionId)?.handle.interrupt();
      // An agent that ignores the interrupt is stopped: the turn must end either way.
      if (!(await settlesWithin(turn, INTERRUPT_GRACE_MS))) {
        await this.pool.release(sessionId);
        await settlesWithin(turn, INTERRUPT_GRACE_MS);
      }
    }
    return this.sessions.get(actor, sessionId);
  }

  async pause(actor: Actor, sessionId: string): Promise<Session> {
    await this.sessions.getWritable(actor, sessionId);
    const paused = await this.moveStatus(sessionId, ['active', 'created'], 'paused');
    // A paused session keeps its conversation in the transcript; its process is released.
    await this.pool.release(sessionId);
    return paused;
  }

  async resume(actor: Actor, sessionId: string, options: { fork?: boolean | undefined } = {}): Promise<Session> {
    if (options.fork) return this.fork(actor, sessionId, {});
    await this.sessions.getWritable(actor, sessionId);
    return this.moveStatus(sessionId, ['paused', 'completed'], 'active');
  }

  /** A new session with the parent's conversation and a copy of its working directory. */
  async fork(actor: Actor, sessionId: string, input: { name?: string | undefined }): Promise<Session> {
    const parent = await this.sessions.getWritable(actor, sessionId);
    if (parent.status === 'processing' || parent.status === 'waiting') throw new DomainError('SESSION_BUSY', 'Cannot fork a session while a turn is running');
    const fork = await this.sessions.create(
      actor,
      { name: input.name ?? (parent.name ? `${parent.name} (fork)` : undefined), mode: parent.mode, sdk_options: parent.sdkOptions },
      { parentSessionId: parent.id, isFork: true },
    );
    await this.storage.copyWorkingDirectory(parent.id, fork.id);
    await this.store.audit.insert(auditOf(actor, { eventType: 'session.forked', category: 'session', resourceType: 'session', resourceId: fork.id, details: { parent_session_id: parent.id } }));
    return fork;
  }

  /** Stops a session's agent process (terminate, delete). */
  async stop(sessionId: string): Promise<void> {
    if (this.running.has(sessionId)) this.interrupted.add(sessionId);
    await this.pool.release(sessionId);
  }

  async shutdown(): Promise<void> {
    await this.pool.closeAll();
  }

  async listMessages(actor: Actor, sessionId: string, page: PageRequest) {
    await this.sessions.get(actor, sessionId);
    return this.store.messages.list(sessionId, page);
  }

  async listToolCalls(actor: Actor, sessionId: string, page: PageRequest) {
    await this.sessions.get(actor, sessionId);
    return this.store.toolCalls.list(sessionId, page);
  }

  async listPermissionDecisions(actor: Actor, sessionId: string, page: PageRequest) {
    await this.sessions.get(actor, sessionId);
    return this.store.permissionDecisions.list(sessionId, page);
  }

  async listHookExecutions(actor: Actor, sessionId: string, page: PageRequest) {
    await this.sessions.get(actor, sessionId);
    return this.store.hookExecutions.list(sessionId, page);
  }

  private async claimTurn(session: Session): Promise<Session> {
    if (session.status === 'processing' || session.status === 'waiting' || session.status === 'connecting') {
      throw new DomainError('SESSION_BUSY', 'The session is already processing a message');
    }
    if (!acceptsMessages(session.status)) throw new DomainError('SESSION_NOT_ACCEPTING', `A ${session.status} session does not accept messages`);
    const to = session.status === 'created' ? 'connecting' : 'processing';
    const claimed = await this.store.sessions.transition(session.id, [session.status], to, session.startedAt ? {} : { startedAt: this.clock.now() });
    if (!claimed) throw new DomainError('SESSION_BUSY', 'The session is already processing a message');
    await this.events.emit(session.id, 'status', { status: to });
    return claimed;
  }

  private async runTurn(session: Session, text: string): Promise<TurnSummary> {
    const makeGate = () =>
      new SessionToolGate(this.store, { id: session.id, userId: session.userId, options: session.sdkOptions }, async (check, reason) => {
        await this.events.emit(session.id, 'permission_denied', { tool_use_id: check.toolUseId, tool_name: check.toolName, reason });
      });
    const recorder = new TurnRecorder(
      this.store,
      this.events,
      session,
      {
        wasDenied: (toolUseId) => this.pool.get(session.id)?.gate.denied.has(toolUseId) ?? false,
        refuseIfDisallowed: async (call) => (await this.pool.get(session.id)?.gate.refuseIfDisallowed(call)) ?? false,
      },
      (id) => this.store.sessions.update(session.id, { agentSessionId: id }),
    );
    try {
      await recorder.recordUserMessage(text);
      const agent = await this.pool.acquire(session, makeGate);
      if (session.status === 'connecting') {
        await this.moveStatus(session.id, ['connecting'], 'active');
        await this.moveStatus(session.id, ['active'], 'processing');
      }
      await agent.handle.runTurn(text, recorder.record);
      const summary = recorder.summary!;
      const wasInterrupted = this.interrupted.has(session.id);
      if (wasInterrupted) summary.stop_reason = 'interrupted';
      await this.finishTurn(session.id, summary.is_error && !wasInterrupted ? summary.content : null);
      if (summary.is_error && !wasInterrupted && summary.stop_reason === 'success') {
        await this.events.emit(session.id, 'error', { error_code: 'MODEL_ERROR', detail: summary.content });
        throw new DomainError('MODEL_ERROR', `The model request failed: ${summary.content}`);
      }
      return summary;
    } catch (error) {
      if (error instanceof DomainError && error.code === 'MODEL_ERROR') throw error;
      return this.failTurn(session.id, error);
    }
  }

  private async finishTurn(sessionId: string, errorMessage: string | null) {
    const back = await this.store.sessions.transition(sessionId, ['processing', 'connecting'], 'active', { errorMessage });
    if (back) await this.events.emit(sessionId, 'status', { status: 'active' });
  }

  /** Any failure ends the turn: the error is recorded, the process dropped, the session accepts messages again. */
  private async failTurn(sessionId: string, error: unknown): Promise<never> {
    const interrupted = this.interrupted.has(sessionId);
    const code = interrupted ? 'TURN_INTERRUPTED' : 'AGENT_ERROR';
    const detail = interrupted ? 'The turn was interrupted and the agent stopped' : `The agent failed: ${error instanceof Error ? error.message : String(error)}`;
    await this.pool.release(sessionId);
    await this.store.messages.insert({ sessionId, messageType: 'error', content: { error_code: code, detail } });
    await this.store.sessions.addTotals(sessionId, { messages: 1 });
    await this.events.emit(sessionId, 'error', { error_code: code, detail });
    await this.finishTurn(sessionId, detail);
    throw new DomainError(code, detail);
  }

  private async moveStatus(sessionId: string, from: SessionStatus[], to: SessionStatus): Promise<Session> {
    const moved = await this.store.sessions.transition(sessionId, from, to);
    if (!moved) {
      const current = await this.store.sessions.findById(sessionId);
      throw new DomainError('INVALID_STATE_TRANSITION', `Cannot move a ${current?.status ?? 'missing'} session to ${to}`);
    }
    await this.events.emit(sessionId, 'status', { status: to });
    return moved;
  }
}

function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(
      () => resolve(true),
      () => resolve(true),
    ).finally(() => clearTimeout(timer));
  });
}
