import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import type { AgentEvent } from '../ports/agent-runtime.ts';

type Block = Record<string, unknown> & { type?: string };

const blocksOf = (content: unknown): Block[] => (Array.isArray(content) ? (content as Block[]) : []);

/** Maps one SDK message to the events agentd cares about; everything else is dropped here. */
export function translate(message: SDKMessage): AgentEvent[] {
  switch (message.type) {
    case 'system':
      if (message.subtype === 'init') {
        return [{ kind: 'init', agentSessionId: message.session_id, model: message.model, tools: message.tools, mcpServers: message.mcp_servers.map((s) => ({ name: s.name, status: s.status })) }];
      }
      if (message.subtype === 'api_retry') return [{ kind: 'retry', attempt: message.attempt, error: String(message.error) }];
      return [];
    case 'stream_event': {
      const event = message.event;
      if (message.parent_tool_use_id === null && event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
        return [{ kind: 'text_delta', text: event.delta.text }];
      }
      return [];
    }
    case 'assistant': {
      const content = blocksOf(message.message.content);
      const events: AgentEvent[] = [{ kind: 'assistant', content, model: message.message.model ?? null, parentToolUseId: message.parent_tool_use_id }];
      for (const block of content) {
        if (block.type === 'tool_use') {
          events.push({ kind: 'tool_use', toolUseId: String(block.id), toolName: String(block.name), input: (block.input ?? {}) as Record<string, unknown> });
        }
      }
      return events;
    }
    case 'user':
      return blocksOf(message.message.content)
        .filter((block) => block.type === 'tool_result')
        .map((block) => ({ kind: 'tool_result', toolUseId: String(block.tool_use_id), content: block.content, isError: block.is_error === true, parentToolUseId: message.parent_tool_use_id }));
    case 'result':
      return [
        {
          kind: 'result',
          isError: message.is_error,
          subtype: message.subtype,
          text: message.subtype === 'success' ? message.result : (message.errors ?? []).join('; ') || null,
          durationMs: message.duration_ms,
          conversationCostUsd: message.total_cost_usd,
          numTurns: message.num_turns,
          usage: {
            inputTokens: message.usage.input_tokens ?? 0,
            outputTokens: message.usage.output_tokens ?? 0,
            cacheCreationTokens: message.usage.cache_creation_input_tokens ?? 0,
            cacheReadTokens: message.usage.cache_read_input_tokens ?? 0,
          },
        },
      ];
    default:
      return [];
  }
}
