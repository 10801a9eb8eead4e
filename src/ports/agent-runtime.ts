import type { SdkOptions } from '../domain/entities.ts';

/** Which conversation an agent process continues. */
export type Conversation =
  | { kind: 'new'; id: string }
  | { kind: 'resume'; id: string }
  | { kind: 'fork'; id: string; fromId: string };

/** An MCP server handed to an agent, secrets included (never stored or logged in this form). */
export type AgentMcpServer =
  | { type: 'stdio'; command: string; args: string[]; env: Record<string, string> }
  | { type: 'sse' | 'http'; url: string; headers: Record<string, string> };

/** What the built-in `monitoring` tools report: this server's health and the calling session's usage. */
export interface MonitoringSource {
  serverHealth(): Promise<Record<string, unknown>>;
  sessionUsage(sessionId: string): Promise<Record<string, unknown>>;
}

/** What a built-in tool hands the agent: text, and whether it reports a failure. */
export interface ToolText {
  text: string;
  isError: boolean;
}

/** The built-in `database` tools: read-only SQL against the database the session named. */
export interface DatabaseReader {
  query(sql: string): Promise<ToolText>;
  listTables(): Promise<ToolText>;
}

/** The built-in `kubernetes_readonly` tools: reads from the cluster the session's kubeconfig reaches. */
export interface KubernetesReader {
  listNamespaces(): Promise<ToolText>;
  listPods(namespace: string): Promise<ToolText>;
  describePod(namespace: string, name: string): Promise<ToolText>;
  podLogs(namespace: string, name: string, options: { container?: string | undefined; tailLines?: number | undefined }): Promise<ToolText>;
}

/** A session's `database` options, opened: only ever held while its agent starts. */
export interface DatabaseToolSettings {
  dsn: string;
  statementTimeoutMs: number;
  maxRows: number;
}

/** A session's `kubernetes` options, opened: only ever held while its agent starts. */
export interface KubernetesToolSettings {
  kubeconfig: string;
  context?: string | undefined;
}

/** In-process tools agentd itself serves to an agent, each enabled per session (keys are the MCP server names). */
export interface BuiltinTools {
  monitoring?: MonitoringSource | undefined;
  database?: DatabaseReader | undefined;
  kubernetes_readonly?: KubernetesReader | undefined;
}

export interface AgentSpec {
  sessionId: string;
  userId: string;
  cwd: string;
  conversation: Conversation;
  options: SdkOptions;
  mcpServers: Record<string, AgentMcpServer>;
  builtins: BuiltinTools;
  /** USD this process may spend before the agent stops its turn; undefined: no limit. */
  budgetUsd?: number | undefined;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
}

/** What an agent reports during a turn, already stripped of SDK types. */
export type AgentEvent =
  | { kind: 'init'; agentSessionId: string; model: string; tools: string[]; mcpServers: { name: string; status: string }[] }
  | { kind: 'text_delta'; text: string }
  | { kind: 'assistant'; content: Record<string, unknown>[]; model: string | null; parentToolUseId: string | null }
  | { kind: 'tool_use'; toolUseId: string; toolName: string; input: Record<string, unknown> }
  | { kind: 'tool_result'; toolUseId: string; content: unknown; isError: boolean; parentToolUseId: string | null }
  | { kind: 'retry'; attempt: number; error: string }
  | {
      kind: 'result';
      isError: boolean;
      subtype: string;
      text: string | null;
      durationMs: number;
      /** Cumulative cost of the whole conversation, as the agent reports it. */
      conversationCostUsd: number;
      usage: TokenUsage;
      numTurns: number;
    };

export interface ToolCheck {
  toolName: string;
  toolUseId: string | undefined;
  input: Record<string, unknown>;
}

export type ToolVerdict = { decision: 'allow' } | { decision: 'deny'; reason: string };

/** The service side's say over tools: called before EVERY tool (hook) and when the agent asks (approval). */
export interface ToolGate {
  preToolUse(check: ToolCheck): Promise<ToolVerdict>;
  approve(check: ToolCheck, signal: AbortSignal): Promise<ToolVerdict>;
  postToolUse(check: ToolCheck & { failed: boolean }): Promise<void>;
}

export interface TurnOutcome {
  result: Extract<AgentEvent, { kind: 'result' }>;
}

export interface AgentHandle {
  readonly alive: boolean;
  /** Runs one turn; events arrive in order through `onEvent`, which is awaited (persist before publish). */
  runTurn(prompt: string, onEvent: (event: AgentEvent) => Promise<void>): Promise<TurnOutcome>;
  interrupt(): Promise<void>;
  close(): Promise<void>;
}

export interface AgentRuntime {
  open(spec: AgentSpec, gate: ToolGate): Promise<AgentHandle>;
  /** Pids of the agent processes this runtime has alive (for tests, metrics and the reaper). */
  livePids(): number[];
  /** Kills agent processes a previous, crashed server left behind; returns how many. */
  reapOrphans(): number;
}
