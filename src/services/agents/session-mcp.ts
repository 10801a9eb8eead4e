import type { Session, SessionMcpServer } from '../../domain/entities.ts';
import type { ResolvedMcpServer } from '../../domain/mcp-server.ts';
import type {
  AgentMcpServer,
  BuiltinTools,
  DatabaseReader,
  DatabaseToolSettings,
  KubernetesReader,
  KubernetesToolSettings,
  MonitoringSource,
} from '../../ports/agent-runtime.ts';
import type { Store } from '../../ports/repositories.ts';
import type { ToolSecrets } from '../tool-secrets.ts';

export interface McpCatalog {
  /** The user's enabled servers and the enabled global ones (own shadow global), secrets decrypted. */
  resolvedServersFor(userId: string): Promise<ResolvedMcpServer[]>;
}

/** What the built-in tools are made from: the monitoring data, and a factory per tool that needs the session's secrets. */
export interface BuiltinSources {
  monitoring: MonitoringSource;
  secrets: ToolSecrets;
  database: (settings: DatabaseToolSettings) => DatabaseReader;
  kubernetes: (settings: KubernetesToolSettings) => KubernetesReader;
}

export interface SessionTools {
  mcpServers: Record<string, AgentMcpServer>;
  builtins: BuiltinTools;
}

/**
 * The tools a session's agent starts with, resolved each time its process starts (so a server
 * disabled meanwhile is gone at the next start): the built-in tools the session enabled, the
 * user's MCP servers and the global ones. What was given is recorded on the session without
 * secrets; the agent's `init` report fills in each one's status. The built-ins' secrets are opened
 * here and live only in the tools handed to this agent process.
 */
export function sessionTools(store: Store, catalog: McpCatalog, sources: BuiltinSources) {
  return async (session: Session): Promise<SessionTools> => {
    const servers = await catalog.resolvedServersFor(session.userId);
    const enabled = new Set(session.sdkOptions.builtin_tools ?? []);
    const opened = sources.secrets.open(session.id, session.sdkOptions);
    const builtins: BuiltinTools = {
      ...(enabled.has('monitoring') ? { monitoring: sources.monitoring } : {}),
      ...(opened.database ? { database: sources.database(opened.database) } : {}),
      ...(opened.kubernetes ? { kubernetes_readonly: sources.kubernetes(opened.kubernetes) } : {}),
    };
    const recorded: SessionMcpServer[] = [
      ...Object.keys(builtins).map((name) => ({ name, type: 'sdk' as const, source: 'builtin' as const, status: 'starting' })),
      ...servers.map((server) => ({ name: server.name, type: server.config.type, source: server.scope, status: 'starting' })),
    ];
    await store.sessions.update(session.id, { mcpServers: recorded });
    return { mcpServers: Object.fromEntries(servers.map((server) => [server.name, server.config])), builtins };
  };
}

/** The data behind the built-in `monitoring` tools. */
export function monitoringSource(store: Store, agents: () => Record<string, number>): MonitoringSource {
  return {
    serverHealth: async () => {
      const database = await store.ping().then(
        () => 'ok',
        () => 'unavailable',
      );
      return { status: database === 'ok' ? 'ok' : 'degraded', database, agents: agents(), sessions_by_status: await store.sessions.countByStatus() };
    },
    sessionUsage: async (sessionId) => {
      const s = await store.sessions.findById(sessionId);
      if (!s) return { error: 'session not found' };
      return {
        session_id: s.id,
        status: s.status,
        messages: s.totalMessages,
        tool_calls: s.totalToolCalls,
        input_tokens: s.apiInputTokens,
        output_tokens: s.apiOutputTokens,
        cache_creation_tokens: s.apiCacheCreationTokens,
        cache_read_tokens: s.apiCacheReadTokens,
        cost_usd: s.totalCostUsd,
      };
    },
  };
}
