import type { Session } from '../../domain/entities.ts';
import type { ResolvedMcpServer } from '../../domain/mcp-server.ts';
import type { AgentMcpServer } from '../../ports/agent-runtime.ts';
import type { Store } from '../../ports/repositories.ts';

export interface McpCatalog {
  /** The user's enabled servers and the enabled global ones (own shadow global), secrets decrypted. */
  resolvedServersFor(userId: string): Promise<ResolvedMcpServer[]>;
}

/**
 * The MCP servers a session's agent starts with, resolved each time its process starts (so a
 * server disabled meanwhile is gone at the next start). What was given is recorded on the
 * session without secrets; the agent's `init` report fills in each one's status.
 */
export function sessionMcpServers(store: Store, catalog: McpCatalog) {
  return async (session: Session): Promise<Record<string, AgentMcpServer>> => {
    const servers = await catalog.resolvedServersFor(session.userId);
    await store.sessions.update(session.id, {
      mcpServers: servers.map((server) => ({ name: server.name, type: server.config.type, source: server.scope, status: 'starting' })),
    });
    return Object.fromEntries(servers.map((server) => [server.name, server.config]));
  };
}
