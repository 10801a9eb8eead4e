import type { Session, ToolCallStatus } from '../../domain/entities.ts';
import type { AgentEvent } from '../../ports/agent-runtime.ts';
import type { Store, TurnTotals } from '../../ports/repositories.ts';
import type { SessionEventLog } from '../session-events.ts';

export interface TurnSummary {
  session_id: string;
  message_id: string | null;
  content: string;
  is_error: boolean;
  stop_reason: string;
  tool_calls: { tool_use_id: string; tool_name: string; tool_input: Record<string, unknown>; status: ToolCallStatus }[];
  metrics: {
    duration_ms: number;
    num_turns: number;
    input_tokens: number;
    output_tokens: number;
    cache_creation_tokens: number;
    cache_read_tokens: number;
    cost_usd: number;
  };
}

/**
 * Turns what the agent reports into rows and events, in that order: each message, tool call and
 * total is stored before its event is published.
 */
export class TurnRecorder {
  private readonly totals: TurnTotals = { messages: 0, toolCalls: 0, costUsd: 0, inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0 };
  private readonly toolCalls = new Map<string, TurnSummary['tool_calls'][number]>();
  private lastAssistantMessageId: string | null = null;
  private assistantText = '';
  summary: TurnSummary | undefined;

  constructor(
    private readonly store: Store,
    private readonly events: SessionEventLog,
    private readonly session: Session,
    private readonly policy: { wasDenied(toolUseId: string): boolean; refuseIfDisallowed(call: { toolName: string; toolUseId: string; input: Record<string, unknown> }): Promise<boolean> },
    private readonly onAgentSessionId: (id: string) => Promise<void>,
  ) {}

  async recordUserMessage(text: string) {
    const message = await this.store.messages.insert({ sessionId: this.session.id, messageType: 'user', content: { text } });
    this.totals.messages += 1;
    await this.events.emit(this.session.id, 'user_message', { message_id: message.id, text });
  }

  record = async (event: AgentEvent): Promise<void> => {
    const sessionId = this.session.id;
    switch (event.kind) {
      case 'init':
        if (event.agentSessionId !== this.session.agentSessionId) await this.onAgentSessionId(event.agentSessionId);
        await this.recordMcpStatus(event.mcpServers);
        await this.events.emit(sessionId, 'init', { model: event.model, tools: event.tools, mcp_servers: event.mcpServers });
        return;
      case 'text_delta':
        await this.events.emit(sessionId, 'text_delta', { text: event.text });
        return;
      case 'assistant': {
        const message = await this.store.messages.insert({ sessionId, messageType: 'assistant', content: { content: event.content }, model: event.model, parentToolUseId: event.parentToolUseId });
        this.totals.messages += 1;
        this.lastAssistantMessageId = message.id;
        const text = event.content.filter((b) => b.type === 'text').map((b) => String(b.text)).join('');
        if (text && !event.parentToolUseId) this.assistantText = text;
        await this.events.emit(sessionId, 'assistant_message', { message_id: message.id, content: event.content, model: event.model });
        return;
      }
      case 'tool_use':
        await this.store.toolCalls.upsertStarted({ sessionId, toolName: event.toolName, toolUseId: event.toolUseId, input: event.input });
        await this.policy.refuseIfDisallowed(event);
        this.totals.toolCalls += 1;
        this.toolCalls.set(event.toolUseId, { tool_use_id: event.toolUseId, tool_name: event.toolName, tool_input: event.input, status: 'running' });
        await this.events.emit(sessionId, 'tool_use', { tool_use_id: event.toolUseId, tool_name: event.toolName, tool_input: event.input });
        return;
      case 'tool_result': {
        const status: ToolCallStatus = this.policy.wasDenied(event.toolUseId) ? 'denied' : event.isError ? 'error' : 'success';
        await this.store.messages.insert({ sessionId, messageType: 'tool_result', content: { tool_use_id: event.toolUseId, content: event.content, is_error: event.isError }, parentToolUseId: event.parentToolUseId });
        this.totals.messages += 1;
        await this.store.toolCalls.complete(sessionId, event.toolUseId, {
          status,
          output: event.content,
          errorMessage: status === 'success' ? null : textOf(event.content).slice(0, 2000),
          permissionDecision: status === 'denied' ? 'deny' : null,
          completedAt: new Date(),
        });
        const call = this.toolCalls.get(event.toolUseId);
        if (call) call.status = status;
        await this.events.emit(sessionId, 'tool_result', { tool_use_id: event.toolUseId, status, content: event.content, is_error: event.isError });
        return;
      }
      case 'retry':
        await this.events.emit(sessionId, 'retry', { attempt: event.attempt, error: event.error });
        return;
      case 'result':
        await this.recordResult(event);
        return;
    }
  };

  /** The agent reports how each MCP server started; a server that failed does not stop the session. */
  private async recordMcpStatus(reported: { name: string; status: string }[]) {
    const current = await this.store.sessions.findById(this.session.id);
    if (!current || current.mcpServers.length === 0) return;
    const status = new Map(reported.map((s) => [s.name, s.status]));
    await this.store.sessions.update(this.session.id, { mcpServers: current.mcpServers.map((s) => ({ ...s, status: status.get(s.name) ?? 'not reported' })) });
  }

  private async recordResult(event: Extract<AgentEvent, { kind: 'result' }>) {
    const sessionId = this.session.id;
    // The agent reports the conversation's cumulative cost (a resumed one continues its total; a
    // fork starts its own): this turn's share is what the session has not counted yet.
    const current = await this.store.sessions.findById(sessionId);
    const cost = Math.max(0, event.conversationCostUsd - (current?.totalCostUsd ?? 0));
    const content = event.text ?? this.assistantText;
    await this.store.transaction(async (repos) => {
      await repos.messages.insert({ sessionId, messageType: 'result', content: { subtype: event.subtype, is_error: event.isError, result: content, cost_usd: cost, usage: event.usage, duration_ms: event.durationMs, num_turns: event.numTurns } });
      Object.assign(this.totals, { messages: this.totals.messages + 1, costUsd: cost, ...event.usage });
      await repos.sessions.addTotals(sessionId, this.totals);
    });
    this.summary = {
      session_id: sessionId,
      message_id: this.lastAssistantMessageId,
      content,
      is_error: event.isError,
      stop_reason: event.subtype,
      tool_calls: [...this.toolCalls.values()],
      metrics: {
        duration_ms: event.durationMs,
        num_turns: event.numTurns,
        input_tokens: event.usage.inputTokens,
        output_tokens: event.usage.outputTokens,
        cache_creation_tokens: event.usage.cacheCreationTokens,
        cache_read_tokens: event.usage.cacheReadTokens,
        cost_usd: cost,
      },
    };
    await this.events.emit(sessionId, 'result', { ...this.summary });
  }
}

export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((b: { text?: unknown }) => (typeof b?.text === 'string' ? b.text : '')).join('');
  return '';
}
