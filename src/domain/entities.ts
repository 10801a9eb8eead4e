import type { Role } from './roles.ts';
import type { SessionMode, SessionStatus } from './session-status.ts';

export interface User {
  id: string;
  email: string;
  username: string;
  fullName: string | null;
  passwordHash: string;
  role: Role;
  isActive: boolean;
  maxConcurrentSessions: number;
  maxStorageMb: number;
  lastLoginAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface SdkOptions {
  model?: string | undefined;
  allowed_tools?: string[] | undefined;
  disallowed_tools?: string[] | undefined;
  permission_mode?: 'default' | 'acceptEdits' | 'bypassPermissions' | 'plan' | undefined;
  approval_mode?: 'auto' | 'interactive' | undefined;
  max_turns?: number | undefined;
  system_prompt?: string | undefined;
  max_budget_usd?: number | undefined;
  builtin_tools?: BuiltinToolName[] | undefined;
  database?: DatabaseToolOptions | undefined;
  kubernetes?: KubernetesToolOptions | undefined;
}

/** agentd's in-process tools a session can enable. */
export const builtinToolNames = ['monitoring', 'database', 'kubernetes_readonly'] as const;
export type BuiltinToolName = (typeof builtinToolNames)[number];

/** A secret as stored in sdk_options: sealed, with the form that may be shown (e.g. the DSN without its password). */
export interface SealedSecret {
  sealed: string;
  shown: string;
}

/** The `database` built-in's target. `dsn` is given as text and stored sealed. */
export interface DatabaseToolOptions {
  dsn: string | SealedSecret;
  statement_timeout_ms?: number | undefined;
  max_rows?: number | undefined;
}

/** The `kubernetes_readonly` built-in's cluster. `kubeconfig` (YAML) is given as text and stored sealed. */
export interface KubernetesToolOptions {
  kubeconfig: string | SealedSecret;
  context?: string | undefined;
}

/** An MCP server as a session's agent got it: where it came from and how it started. */
export interface SessionMcpServer {
  name: string;
  type: 'stdio' | 'sse' | 'http' | 'sdk';
  source: 'user' | 'global' | 'builtin';
  status: string;
}

export interface Session {
  id: string;
  userId: string;
  name: string | null;
  mode: SessionMode;
  status: SessionStatus;
  sdkOptions: SdkOptions;
  workingDirectoryPath: string;
  parentSessionId: string | null;
  isFork: boolean;
  templateId: string | null;
  agentSessionId: string | null;
  runnerId: string | null;
  mcpServers: SessionMcpServer[];
  totalMessages: number;
  totalToolCalls: number;
  totalCostUsd: number;
  apiInputTokens: number;
  apiOutputTokens: number;
  apiCacheCreationTokens: number;
  apiCacheReadTokens: number;
  lastSeq: number;
  resultData: Record<string, unknown> | null;
  errorMessage: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
}

export type MessageType = 'user' | 'assistant' | 'system' | 'tool_result' | 'result' | 'error';

export interface Message {
  id: string;
  sessionId: string;
  messageType: MessageType;
  content: Record<string, unknown>;
  sequenceNumber: number;
  model: string | null;
  parentToolUseId: string | null;
  createdAt: Date;
}

export type ToolCallStatus = 'pending' | 'running' | 'success' | 'error' | 'denied';

export interface ToolCall {
  id: string;
  sessionId: string;
  toolName: string;
  toolUseId: string;
  input: Record<string, unknown>;
  output: unknown;
  status: ToolCallStatus;
  permissionDecision: string | null;
  errorMessage: string | null;
  durationMs: number | null;
  createdAt: Date;
  completedAt: Date | null;
}

export interface PermissionDecision {
  id: string;
  sessionId: string;
  toolName: string;
  toolUseId: string | null;
  input: Record<string, unknown>;
  decision: 'allow' | 'deny';
  reason: string | null;
  decidedBy: string;
  createdAt: Date;
}

export interface HookExecution {
  id: string;
  hookName: string;
  toolName: string | null;
  toolUseId: string | null;
  details: Record<string, unknown>;
  createdAt: Date;
}

export type AuditCategory = 'authentication' | 'authorization' | 'session' | 'task' | 'tool' | 'system';

export interface AuditEntry {
  eventType: string;
  category: AuditCategory;
  userId?: string | null | undefined;
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
  details?: Record<string, unknown> | undefined;
}

export interface AuditLog extends Required<Omit<AuditEntry, 'ip' | 'userAgent' | 'resourceType' | 'resourceId' | 'userId'>> {
  id: number;
  userId: string | null;
  resourceType: string | null;
  resourceId: string | null;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
}

export interface Page<T> {
  items: T[];
  total: number;
  skip: number;
  limit: number;
}

/** A reusable starting point for sessions; public ones are readable by every user. */
export interface SessionTemplate {
  id: string;
  userId: string;
  name: string;
  description: string | null;
  category: string | null;
  sdkOptions: SdkOptions;
  defaultMode: SessionMode;
  isPublic: boolean;
  usageCount: number;
  createdAt: Date;
  updatedAt: Date;
}

export const reportFormats = ['json', 'markdown', 'html', 'pdf'] as const;
export type ReportFormat = (typeof reportFormats)[number];

/**
 * Where an execution's outcome is posted. `secret` signs each delivery (HMAC-SHA256); it is
 * stored sealed and never shown again.
 */
export interface NotificationConfig {
  webhook_url?: string | undefined;
  secret?: string | undefined;
}

/** One attempt to post an execution's outcome to its task's webhook. */
export interface WebhookDelivery {
  attempt: number;
  event: string;
  url: string;
  /** The receiver's HTTP status; null when no response came (refused, timed out). */
  status_code: number | null;
  ok: boolean;
  error: string | null;
  duration_ms: number;
  delivered_at: string;
}

/** Repeatable agent work: a prompt template, the agent's options, an optional schedule. */
export interface Task {
  id: string;
  userId: string;
  name: string;
  description: string | null;
  promptTemplate: string;
  allowedTools: string[];
  disallowedTools: string[];
  sdkOptions: SdkOptions;
  isScheduled: boolean;
  scheduleCron: string | null;
  scheduleEnabled: boolean;
  timezone: string;
  generateReport: boolean;
  reportFormat: ReportFormat;
  notificationConfig: NotificationConfig | null;
  tags: string[];
  isActive: boolean;
  isPublic: boolean;
  triggerSecretHash: string | null;
  /** When the scheduler fires next; null when the task is not on an enabled schedule. */
  nextRunAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type ExecutionStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
export type ExecutionTrigger = 'manual' | 'scheduled' | 'webhook' | 'api';

/** One run of a task: a non-interactive session that received the rendered prompt. */
export interface TaskExecution {
  id: string;
  taskId: string;
  userId: string;
  sessionId: string | null;
  trigger: ExecutionTrigger;
  variables: Record<string, unknown>;
  status: ExecutionStatus;
  reportId: string | null;
  costUsd: number;
  durationMs: number | null;
  errorMessage: string | null;
  runnerId: string | null;
  /** The cron instant of a scheduled run; null otherwise. */
  scheduledFor: Date | null;
  deliveries: WebhookDelivery[];
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
}
