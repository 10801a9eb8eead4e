import type { Session } from '../../domain/entities.ts';
import { settlesWithin } from '../../domain/async.ts';
import { DomainError, messageOf } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { acceptsMessages, type SessionStatus } from '../../domain/session-status.ts';
import type { Clock } from '../../ports/clock.ts';
import type { ControlBus, ControlMessage, ControlReply } from '../../ports/control-bus.ts';
import type { PageRequest, Store } from '../../ports/repositories.ts';
import type { WorkspaceStorage } from '../../ports/workspace-storage.ts';
import { auditOf } from '../audit-service.ts';
import type { SessionEventLog } from '../session-events.ts';
import type { SessionService } from '../session-service.ts';
import { SessionToolGate, type GateEvents } from '../tool-policy.ts';
import type { ApprovalBroker } from './approvals.ts';
import type { BudgetPolicy } from './budgets.ts';
import type { AgentPool } from './agent-pool.ts';
import { TurnRecorder, type TurnSummary } from './turn-recorder.ts';

const INTERRUPT_GRACE_MS = 3000;


/** Statuses of a session whose turn is under way (on some server). */
const turnStatuses: readonly SessionStatus[] = ['connecting', 'processing', 'waiting'];
/** The reference's SDKIntegratedSessionService: sessions that talk to a real agent. */
export class AgentSessionService {
  private readonly running = new Map<string, Promise<unknown>>();
  private readonly interrupted = new Set<string>();
  private draining = false;

  constructor(
    private readonly store: Store,
    private readonly sessions: SessionService,
    private readonly pool: AgentPool,
    private readonly events: SessionEventLog,
    private readonly storage: WorkspaceStorage,
    private readonly clock: Clock,
    /** This server's identity, stable across its restarts (kept in the data dir). */
    private readonly runnerId: string,
    private readonly approvals: ApprovalBroker,
    private readonly budgets: BudgetPolicy,
    /** Reaches the server running a turn elsewhere (Redis); none: every turn is this server's. */
    private readonly control?: ControlBus,
  ) {}

  /** The reference's message flow: check state, PROCESSING, agent, stream, persist then publish, back to ACTIVE. */
  async sendMessage(actor: Actor, sessionId: string, text: string): Promise<TurnSummary> {
    if (this.draining) throw new DomainError('SHUTTING_DOWN', 'The server is shutting down; send the message again shortly', { retry_after_seconds: 5 });
    const session = await this.sessions.getWritable(actor, sessionId);
    await this.budgets.assertCanStart(session);
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
    const session = await this.sessions.getWritable(actor, sessionId);
    if (!this.running.has(sessionId) && turnStatuses.includes(session.status) && this.elsewhere(session)) {
      await this.forward(session, { kind: 'interrupt', sessionId });
    } else {
      await this.interruptHere(sessionId);
    }
    return this.sessions.get(actor, sessionId);
  }

  /** What another server asks of this one, for a turn this one runs. */
  async handleControl(message: ControlMessage): Promise<ControlReply> {
    try {
      if (message.kind === 'interrupt') await this.interruptHere(message.sessionId);
      else this.approvals.answer(message.sessionId, message.requestId, { decision: message.decision, reason: message.reason, decidedBy: message.decidedBy });
      return { ok: true };
    } catch (error) {
      if (error instanceof DomainError) return { ok: false, code: error.code, message: error.message };
      throw error;
    }
  }

  private async interruptHere(sessionId: string): Promise<void> {
    const turn = this.running.get(sessionId);
    if (turn) {
      this.interrupted.add(sessionId);
      this.approvals.denyAll(sessionId, 'The turn was interrupted');
      await this.pool.get(sessionId)?.handle.interrupt();
      // An agent that ignores the interrupt is stopped: the turn must end either way.
      if (!(await settlesWithin(turn, INTERRUPT_GRACE_MS))) {
        await this.pool.release(sessionId);
        await settlesWithin(turn, INTERRUPT_GRACE_MS);
      }
    }
  }

  /** The turn of `session` runs on another server that this one can reach. */
  private elsewhere(session: Session): session is Session & { runnerId: string } {
    return this.control !== undefined && session.runnerId !== null && session.runnerId !== this.runnerId;
  }

  /** Carries a request to the server running the session's turn; its refusal is ours. */
  private async forward(session: Session & { runnerId: string }, message: ControlMessage): Promise<void> {
    const reply = await this.control?.send(session.runnerId, message);
    if (reply?.ok === false) throw new DomainError(reply.code, reply.message);
    if (!reply && message.kind === 'permission_answer') {
      throw new DomainError('PERMISSION_REQUEST_NOT_FOUND', 'The server running this turn did not answer; the request is gone with it');
    }
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

  prewarm(session: Session): void {
    if (this.draining) return;
    void this.pool.prewarm(session, () => this.gateFor(session)).catch(() => undefined);
  }

  /** Stops a session's agent process (terminate, delete). */
  async stop(sessionId: string): Promise<void> {
    if (this.running.has(sessionId)) this.interrupted.add(sessionId);
    this.approvals.denyAll(sessionId, 'The session was stopped');
    await this.pool.release(sessionId);
    this.events.forget(sessionId);
  }

  async shutdown(): Promise<void> {
    this.draining = true;
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
    const claimed = await this.sessions.transition(session.id, [session.status], to, { runnerId: this.runnerId, ...(session.startedAt ? {} : { startedAt: this.clock.now() }) });
    if (!claimed) throw new DomainError('SESSION_BUSY', 'The session is already processing a message');
    await this.events.emit(session.id, 'status', { status: to });
    return claimed;
  }

  private async runTurn(session: Session, text: string): Promise<TurnSummary> {
    const makeGate = () => this.gateFor(session);
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
      const lease = await this.pool.lease(session, makeGate);
      try {
        if (session.status === 'connecting') {
          await this.moveStatus(session.id, ['connecting'], 'active');
          await this.moveStatus(session.id, ['active'], 'processing');
        }
        await lease.agent.handle.runTurn(text, recorder.record);
      } finally {
        lease.release();
      }
      const summary = recorder.summary!;
      const wasInterrupted = this.interrupted.has(session.id);
      if (wasInterrupted) summary.stop_reason = 'interrupted';
      if (summary.stop_reason === 'error_max_budget_usd') {
        await this.events.emit(session.id, 'error', { error_code: 'BUDGET_EXCEEDED', detail: 'The turn was stopped: the session reached its max_budget_usd' });
      }
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

  private gateFor(session: Session): SessionToolGate {
    return new SessionToolGate(this.store, { id: session.id, userId: session.userId, options: session.sdkOptions }, this.approvals, this.gateEvents(session.id));
  }

  private gateEvents(sessionId: string): GateEvents {
    return {
      denied: async (check, reason) => void (await this.events.emit(sessionId, 'permission_denied', { tool_use_id: check.toolUseId, tool_name: check.toolName, reason })),
      waiting: async (requestId, check) => {
        await this.moveStatus(sessionId, ['processing'], 'waiting');
        await this.events.emit(sessionId, 'permission_request', { request_id: requestId, tool_use_id: check.toolUseId, tool_name: check.toolName, tool_input: check.input });
      },
      decided: async (requestId, check, decision, decidedBy) => {
        await this.events.emit(sessionId, 'permission_decision', { request_id: requestId, tool_use_id: check.toolUseId, tool_name: check.toolName, decision, decided_by: decidedBy });
        await this.moveStatus(sessionId, ['waiting'], 'processing').catch(() => undefined);
      },
    };
  }

  /** A human's answer to a parked tool call; the first answer wins. Viewers cannot answer. */
  async answerPermission(actor: Actor, sessionId: string, requestId: string, answer: { decision: 'allow' | 'deny'; message?: string | undefined }) {
    const session = await this.sessions.getWritable(actor, sessionId);
    const reason = answer.message ?? (answer.decision === 'allow' ? 'allowed by a user' : 'denied by a user');
    const outcome = { decision: answer.decision, reason, decidedBy: actor.userId };
    if (!this.approvals.isPending(requestId) && this.elsewhere(session)) await this.forward(session, { kind: 'permission_answer', sessionId, requestId, ...outcome });
    else this.approvals.answer(sessionId, requestId, outcome);
    return { request_id: requestId, decision: answer.decision, decided_by: actor.userId };
  }

  private async finishTurn(sessionId: string, errorMessage: string | null) {
    const back = await this.sessions.transition(sessionId, ['processing', 'waiting', 'connecting'], 'active', { errorMessage });
    if (back) await this.events.emit(sessionId, 'status', { status: 'active' });
  }

  /** Any failure ends the turn: the error is recorded, the process dropped, the session accepts messages again. */
  private async failTurn(sessionId: string, error: unknown): Promise<never> {
    const failure = this.interrupted.has(sessionId)
      ? new DomainError('TURN_INTERRUPTED', 'The turn was interrupted and the agent stopped')
      : error instanceof DomainError
        ? error
        : new DomainError('AGENT_ERROR', `The agent failed: ${messageOf(error)}`);
    await this.pool.release(sessionId);
    await this.recordFailure(sessionId, failure);
    throw failure;
  }

  private async recordFailure(sessionId: string, failure: DomainError) {
    await this.store.messages.insert({ sessionId, messageType: 'error', content: { error_code: failure.code, detail: failure.message } });
    await this.store.sessions.addTotals(sessionId, { messages: 1 });
    await this.events.emit(sessionId, 'error', { error_code: failure.code, detail: failure.message });
    await this.finishTurn(sessionId, failure.message);
  }

  /**
   * At start-up: turns that were running when the server died cannot finish. Their sessions are
   * marked interrupted and accept messages again; the conversation resumes from the transcript.
   */
  async recoverInterruptedTurns(): Promise<number> {
    const stuck = await this.store.sessions.findByStatus(turnStatuses, this.runnerId);
    for (const session of stuck) {
      await this.recordFailure(session.id, new DomainError('TURN_INTERRUPTED', 'The server stopped during this turn; it was interrupted. Send the message again to continue.'));
    }
    return stuck.length;
  }

  /** SIGTERM: no new turns; running ones get `graceMs` to finish, then are interrupted; then every agent stops. */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    const turns = [...this.running.values()];
    if (!(await settlesWithin(Promise.allSettled(turns), graceMs))) {
      for (const sessionId of this.running.keys()) {
        this.interrupted.add(sessionId);
        await this.pool.get(sessionId)?.handle.interrupt().catch(() => undefined);
      }
      await settlesWithin(Promise.allSettled(turns), INTERRUPT_GRACE_MS);
    }
    await this.pool.closeAll();
  }

  private async moveStatus(sessionId: string, from: SessionStatus[], to: SessionStatus): Promise<Session> {
    const moved = await this.sessions.transition(sessionId, from, to);
    if (!moved) {
      const current = await this.store.sessions.findById(sessionId);
      throw new DomainError('INVALID_STATE_TRANSITION', `Cannot move a ${current?.status ?? 'missing'} session to ${to}`);
    }
    await this.events.emit(sessionId, 'status', { status: to });
    return moved;
  }
}
