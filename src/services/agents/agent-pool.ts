import type { Session } from '../../domain/entities.ts';
import { DomainError } from '../../domain/errors.ts';
import type { AgentHandle, AgentMcpServer, AgentRuntime, BuiltinTools, Conversation } from '../../ports/agent-runtime.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Store } from '../../ports/repositories.ts';
import type { SessionToolGate } from '../tool-policy.ts';

export interface PoolLimits {
  /** Live agent processes at most. */
  maxLive: number;
  /** An agent idle this long is stopped; its session resumes from the transcript on the next turn. */
  idleMs: number;
  /** Turns that may wait for a free slot; past that they are refused at once. */
  maxWaiting: number;
  /** How long a turn waits for a slot before it is refused. */
  waitMs: number;
  /** New sessions' agents started ahead of their first message, at most (0: off). */
  maxPrewarmed: number;
}

interface LiveAgent {
  handle: AgentHandle;
  gate: SessionToolGate;
  busy: boolean;
  /** Started ahead of a first turn that has not come yet. */
  prewarmed: boolean;
  lastUsed: number;
  /** The spending cap the process got, and the session's total then: together, what it may still spend. */
  budget: { capUsd: number; sessionTotalAtStart: number } | undefined;
}

export interface Lease {
  agent: { handle: AgentHandle; gate: SessionToolGate };
  release(): void;
}

interface Waiter {
  wake: () => void;
}

/**
 * The live agent processes of this server: at most `maxLive`, idle ones stopped after a while,
 * the least recently used idle one stopped when a new one needs its slot, and turns that find
 * every slot busy waiting in a bounded queue (or refused with AGENT_CAPACITY), never a crash.
 */
export class AgentPool {
  private readonly live = new Map<string, LiveAgent>();
  private opening = 0;
  private readonly prewarming = new Map<string, Promise<LiveAgent>>();
  /** Processes on their way out still hold their slot until they are gone. */
  private closing = 0;
  private readonly waiters: Waiter[] = [];
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly runtime: AgentRuntime,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly limits: PoolLimits,
    /** The MCP servers and built-in tools a session's agent gets, resolved each time a process starts. */
    private readonly toolsFor: (session: Session) => Promise<{ mcpServers: Record<string, AgentMcpServer>; builtins: BuiltinTools }> = async () => ({ mcpServers: {}, builtins: {} }),
    /** What the session may still spend (its own budget, its user's day); undefined: no limit. */
    private readonly remainingBudget: (session: Session) => Promise<number | undefined> = async () => undefined,
  ) {
    this.sweeper = setInterval(() => void this.evictIdle(), Math.max(1000, Math.min(limits.idleMs / 4, 30_000))).unref();
  }

  /** The session's live agent, marked busy until `release()`: started, resumed or waited for as needed. */
  async lease(session: Session, makeGate: () => SessionToolGate): Promise<Lease> {
    // A first message that arrives while its agent is still pre-warming waits for that agent.
    await this.prewarming.get(session.id)?.catch(() => undefined);
    let agent = this.live.get(session.id);
    if (agent && !agent.handle.alive) {
      this.live.delete(session.id);
      agent = undefined;
    }
    if (agent && (await this.budgetIsStale(agent, session))) {
      this.live.delete(session.id);
      await this.stop(agent);
      agent = undefined;
    }
    if (!agent) agent = await this.start(session, makeGate);
    agent.busy = true;
    agent.prewarmed = false;
    agent.lastUsed = this.clock.now().getTime();
    const leased = agent;
    return {
      agent: leased,
      release: () => {
        leased.busy = false;
        leased.lastUsed = this.clock.now().getTime();
        this.wakeOne();
      },
    };
  }

  /**
   * Starts a session's agent before its first turn, so that turn skips the cold start. Only into
   * a free slot, and at most `maxPrewarmed` unused ones: pre-warming never evicts or queues.
   */
  async prewarm(session: Session, makeGate: () => SessionToolGate): Promise<void> {
    const unused = [...this.live.values()].filter((a) => a.prewarmed).length;
    if (unused + this.opening >= this.limits.maxPrewarmed || this.live.has(session.id)) return;
    if (this.live.size + this.opening + this.closing >= this.limits.maxLive || this.prewarming.has(session.id)) return;
    this.opening += 1;
    const starting = this.open(session, makeGate).then((agent) => {
      agent.busy = false;
      agent.prewarmed = true;
      return agent;
    });
    this.prewarming.set(session.id, starting);
    try {
      await starting;
    } finally {
      this.opening -= 1;
      this.prewarming.delete(session.id);
    }
  }

  get(sessionId: string): { handle: AgentHandle; gate: SessionToolGate } | undefined {
    return this.live.get(sessionId);
  }

  async release(sessionId: string): Promise<void> {
    // An agent still pre-warming would otherwise land in the pool after its session is gone.
    await this.prewarming.get(sessionId)?.catch(() => undefined);
    const agent = this.live.get(sessionId);
    if (!agent) return;
    this.live.delete(sessionId);
    await this.stop(agent);
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.allSettled(this.prewarming.values());
    const agents = [...this.live.values()];
    this.live.clear();
    await Promise.all(agents.map((a) => a.handle.close()));
    for (const waiter of this.waiters.splice(0)) waiter.wake();
  }

  stats() {
    return { live: this.live.size, busy: [...this.live.values()].filter((a) => a.busy).length, waiting: this.waiters.length, max: this.limits.maxLive };
  }

  private async start(session: Session, makeGate: () => SessionToolGate): Promise<LiveAgent> {
    await this.reserveSlot();
    try {
      return await this.open(session, makeGate);
    } finally {
      this.opening -= 1;
    }
  }

  /**
   * A live process keeps the cap it started with, but a user's daily budget also shrinks when their
   * other sessions spend: then the process restarts (resuming the conversation) with what is left.
   */
  private async budgetIsStale(agent: LiveAgent, session: Session): Promise<boolean> {
    const remaining = await this.remainingBudget(session);
    if (remaining === undefined) return false;
    if (!agent.budget) return true;
    const capLeft = agent.budget.capUsd - (session.totalCostUsd - agent.budget.sessionTotalAtStart);
    return remaining < capLeft - 1e-9;
  }

  private async open(session: Session, makeGate: () => SessionToolGate): Promise<LiveAgent> {
    const gate = makeGate();
    const capUsd = await this.remainingBudget(session);
    const handle = await this.runtime.open(
      {
        sessionId: session.id,
        userId: session.userId,
        cwd: session.workingDirectoryPath,
        conversation: await this.conversationOf(session),
        options: session.sdkOptions,
        ...(await this.toolsFor(session)),
        budgetUsd: capUsd,
      },
      gate,
    );
    const budget = capUsd === undefined ? undefined : { capUsd, sessionTotalAtStart: session.totalCostUsd };
    const agent: LiveAgent = { handle, gate, busy: true, prewarmed: false, lastUsed: this.clock.now().getTime(), budget };
    this.live.set(session.id, agent);
    return agent;
  }

  /** Takes a slot for a new process: a free one, an idle one's, or one that frees up while waiting. */
  private async reserveSlot(): Promise<void> {
    const deadline = Date.now() + this.limits.waitMs;
    for (;;) {
      this.dropDead();
      if (this.live.size + this.opening + this.closing < this.limits.maxLive) {
        this.opening += 1;
        return;
      }
      const idle = this.leastRecentlyUsedIdle();
      if (idle) {
        this.opening += 1;
        this.live.delete(idle[0]);
        await idle[1].handle.close();
        return;
      }
      if (this.waiters.length >= this.limits.maxWaiting || Date.now() >= deadline) throw capacityError(this.limits);
      await this.waitForSlot(deadline - Date.now());
    }
  }

  private waitForSlot(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        wake: () => {
          clearTimeout(timer);
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, ms);
      this.waiters.push(waiter);
    });
  }

  private wakeOne() {
    this.waiters[0]?.wake();
  }

  private leastRecentlyUsedIdle(): [string, LiveAgent] | undefined {
    let oldest: [string, LiveAgent] | undefined;
    for (const entry of this.live) if (!entry[1].busy && (!oldest || entry[1].lastUsed < oldest[1].lastUsed)) oldest = entry;
    return oldest;
  }

  private dropDead() {
    for (const [id, agent] of this.live) if (!agent.handle.alive && !agent.busy) this.live.delete(id);
  }

  private async evictIdle() {
    const cutoff = this.clock.now().getTime() - this.limits.idleMs;
    const stale = [...this.live].filter(([, agent]) => !agent.busy && agent.lastUsed < cutoff);
    for (const [id] of stale) this.live.delete(id);
    await Promise.all(stale.map(([, agent]) => this.stop(agent)));
  }

  private async stop(agent: LiveAgent) {
    this.closing += 1;
    try {
      await agent.handle.close();
    } finally {
      this.closing -= 1;
      this.wakeOne();
    }
  }

  private async conversationOf(session: Session): Promise<Conversation> {
    if (session.agentSessionId) return { kind: 'resume', id: session.agentSessionId };
    if (session.isFork && session.parentSessionId) {
      const parent = await this.store.sessions.findById(session.parentSessionId);
      if (parent?.agentSessionId) return { kind: 'fork', id: session.id, fromId: parent.agentSessionId };
    }
    return { kind: 'new', id: session.id };
  }
}

const capacityError = (limits: PoolLimits) =>
  new DomainError('AGENT_CAPACITY', `All ${limits.maxLive} agent slots are busy; try again shortly`, { retry_after_seconds: Math.max(1, Math.ceil(limits.waitMs / 1000)) });
