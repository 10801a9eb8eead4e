import { createSdkMcpServer, tool, type McpSdkServerConfigWithInstance } from '@anthropic-ai/claude-agent-sdk';
import type { BuiltinTools } from '../ports/agent-runtime.ts';

const asText = (value: unknown) => ({ content: [{ type: 'text' as const, text: JSON.stringify(value, null, 2) }] });

/**
 * agentd's own tools, served in-process as MCP servers (`mcp__<server>__<tool>`). They read
 * through the sources the services hand in; the session id is bound here, so an agent can only
 * ever ask about its own session.
 */
export function builtinServers(sessionId: string, builtins: BuiltinTools): Record<string, McpSdkServerConfigWithInstance> {
  const servers: Record<string, McpSdkServerConfigWithInstance> = {};
  const monitoring = builtins.monitoring;
  if (monitoring) {
    servers.monitoring = createSdkMcpServer({
      name: 'monitoring',
      version: '1.0.0',
      alwaysLoad: true,
      tools: [
        tool('server_health', "agentd's health: database, live agents, sessions by status", {}, async () => asText(await monitoring.serverHealth())),
        tool('session_usage', "This session's usage so far: messages, tool calls, tokens, cost in USD", {}, async () => asText(await monitoring.sessionUsage(sessionId))),
      ],
    });
  }
  return servers;
}
