import type { Session } from '../../domain/entities.ts';
import type { AgentHandle, AgentRuntime, Conversation } from '../../ports/agent-runtime.ts';
import type { Store } from '../../ports/repositories.ts';
import type { SessionToolGate } from '../tool-policy.ts';

interface LiveAgent {
  handle: AgentHandle;
  gate: SessionToolGate;
}

/** The live agent process of each session. A dead or missing one is (re)opened on the stored conversation. */
export class AgentPool {
  private readonly live = new Map<string, LiveAgent>();

  constructor(
    private readonly runtime: AgentRuntime,
    private readonly store: Store,
  ) {}

  async acquire(session: Session, makeGate: () => SessionToolGate): Promise<LiveAgent> {
    const existing = this.live.get(session.id);
    if (existing?.handle.alive) return existing;
    if (existing) this.live.delete(session.id);
    const gate = makeGate();
    const handle = await this.runtime.open(
      { sessionId: session.id, userId: session.userId, cwd: session.workingDirectoryPath, conversation: await this.conversationOf(session), options: session.sdkOptions },
      gate,
    );
    const agent = { handle, gate };
    this.live.set(session.id, agent);
    return agent;
  }

  get(sessionId: string): LiveAgent | undefined {
    return this.live.get(sessionId);
  }

  async release(sessionId: string): Promise<void> {
    const agent = this.live.get(sessionId);
    this.live.delete(sessionId);
    await agent?.handle.close();
  }

  async closeAll(): Promise<void> {
    const agents = [...this.live.values()];
    this.live.clear();
    await Promise.all(agents.map((a) => a.handle.close()));
  }

  pids(): number[] {
    return this.runtime.livePids();
  }

  private async conversationOf(session: Session): Promise<Conversation> {
    if (session.agentSessionId) return { kind: 'resume', id: session.agentSessionId };
    if (session.isFork && session.parentSessionId) {
      const parent = await this.store.sessions.findById(session.parentSessionId);
      if (parent?.agentSessionId) return { kind: 'fork', id: session.id, fromId: parent.agentSessionId, fromCwd: parent.workingDirectoryPath };
    }
    return { kind: 'new', id: session.id };
  }
}
