import type { McpConnection } from '../domain/mcp-server.ts';

export interface McpProbeResult {
  ok: boolean;
  latencyMs: number;
  tools: string[];
  /** Why the server could not be reached or listed; never contains the connection's secrets. */
  error?: string | undefined;
}

/** Connects to an MCP server, lists its tools and disconnects. Never throws: a failure is a result. */
export interface McpProbe {
  probe(connection: McpConnection, options: { timeoutMs: number }): Promise<McpProbeResult>;
}
