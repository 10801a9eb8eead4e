/** Transports a registered MCP server can use; `sdk` is reserved for in-process built-in servers. */
export const mcpServerTypes = ['stdio', 'sse', 'http'] as const;
export type McpServerType = (typeof mcpServerTypes)[number];

/** How to reach a server, secrets included: the shape the Agent SDK takes in `mcpServers[name]`. */
export type McpConnection =
  | { type: 'stdio'; command: string; args: string[]; env: Record<string, string> }
  | { type: 'sse' | 'http'; url: string; headers: Record<string, string> };

/** A connection as callers outside the server may see it: the names of its secrets, never their values. */
export type McpConnectionSummary =
  | { type: 'stdio'; command: string; args: string[]; envKeys: string[] }
  | { type: 'sse' | 'http'; url: string; headerKeys: string[] };

export interface McpHealth {
  status: 'healthy' | 'unhealthy';
  latencyMs: number;
  tools: string[];
  error?: string | undefined;
  checkedAt: Date;
}

/** A registered server, as the API shows it. `userId` is null for a global server. */
export interface McpServer {
  id: string;
  userId: string | null;
  name: string;
  description: string | null;
  isEnabled: boolean;
  isGlobal: boolean;
  connection: McpConnectionSummary;
  lastHealth: McpHealth | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A server ready to start, secrets decrypted: for code inside agentd only, never for a response. */
export interface ResolvedMcpServer {
  id: string;
  name: string;
  scope: 'user' | 'global';
  config: McpConnection;
}

/** The stored row: non-secret configuration in `config`, secrets sealed in `encryptedSecrets`. */
export interface McpServerRecord {
  id: string;
  userId: string | null;
  name: string;
  description: string | null;
  serverType: McpServerType | 'sdk';
  config: Record<string, unknown>;
  encryptedSecrets: string | null;
  isEnabled: boolean;
  isGlobal: boolean;
  lastHealth: Record<string, unknown> | null;
  createdAt: Date;
  updatedAt: Date;
}
