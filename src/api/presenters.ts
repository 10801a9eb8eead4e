import type { AuditLog, HookExecution, Message, PermissionDecision, Session, SessionTemplate, ToolCall, User } from '../domain/entities.ts';
import type { McpHealth, McpServer } from '../domain/mcp-server.ts';
import type { TaskView } from '../services/task-service.ts';
import { shownSdkOptions } from '../services/tool-secrets.ts';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export const presentUser = (u: User) => ({
  id: u.id,
  email: u.email,
  username: u.username,
  full_name: u.fullName,
  role: u.role,
  is_active: u.isActive,
  max_concurrent_sessions: u.maxConcurrentSessions,
  created_at: u.createdAt.toISOString(),
  last_login_at: iso(u.lastLoginAt),
});

export const presentSession = (s: Session) => ({
  id: s.id,
  user_id: s.userId,
  name: s.name,
  mode: s.mode,
  status: s.status,
  sdk_options: shownSdkOptions(s.sdkOptions),
  working_directory_path: s.workingDirectoryPath,
  parent_session_id: s.parentSessionId,
  is_fork: s.isFork,
  template_id: s.templateId,
  total_messages: s.totalMessages,
  total_tool_calls: s.totalToolCalls,
  total_cost_usd: s.totalCostUsd,
  api_input_tokens: s.apiInputTokens,
  api_output_tokens: s.apiOutputTokens,
  api_cache_creation_tokens: s.apiCacheCreationTokens,
  api_cache_read_tokens: s.apiCacheReadTokens,
  last_seq: s.lastSeq,
  mcp_servers: s.mcpServers,
  error_message: s.errorMessage,
  created_at: s.createdAt.toISOString(),
  updated_at: s.updatedAt.toISOString(),
  started_at: iso(s.startedAt),
  completed_at: iso(s.completedAt),
});

export const presentMessage = (m: Message) => ({
  id: m.id,
  session_id: m.sessionId,
  message_type: m.messageType,
  content: m.content,
  sequence_number: m.sequenceNumber,
  model: m.model,
  parent_tool_use_id: m.parentToolUseId,
  created_at: m.createdAt.toISOString(),
});

export const presentToolCall = (t: ToolCall) => ({
  id: t.id,
  session_id: t.sessionId,
  tool_name: t.toolName,
  tool_use_id: t.toolUseId,
  tool_input: t.input,
  output: t.output,
  status: t.status,
  permission_decision: t.permissionDecision,
  error_message: t.errorMessage,
  duration_ms: t.durationMs,
  created_at: t.createdAt.toISOString(),
  completed_at: iso(t.completedAt),
});

export const presentPermissionDecision = (d: PermissionDecision) => ({
  id: d.id,
  session_id: d.sessionId,
  tool_name: d.toolName,
  tool_use_id: d.toolUseId,
  tool_input: d.input,
  decision: d.decision,
  reason: d.reason,
  decided_by: d.decidedBy,
  created_at: d.createdAt.toISOString(),
});

export const presentHookExecution = (h: HookExecution) => ({
  id: h.id,
  hook_name: h.hookName,
  tool_name: h.toolName,
  tool_use_id: h.toolUseId,
  details: h.details,
  created_at: h.createdAt.toISOString(),
});

export const presentAudit = (a: AuditLog) => ({
  id: a.id,
  event_type: a.eventType,
  category: a.category,
  user_id: a.userId,
  resource_type: a.resourceType,
  resource_id: a.resourceId,
  ip: a.ip,
  user_agent: a.userAgent,
  details: a.details,
  created_at: a.createdAt.toISOString(),
});

export const presentPage = <T, R>(page: { items: T[]; total: number; skip: number; limit: number }, present: (item: T) => R) => ({
  ...page,
  items: page.items.map(present),
});

export const presentSessionTemplate = (t: SessionTemplate) => ({
  id: t.id,
  user_id: t.userId,
  name: t.name,
  description: t.description,
  category: t.category,
  sdk_options: shownSdkOptions(t.sdkOptions),
  default_mode: t.defaultMode,
  is_public: t.isPublic,
  usage_count: t.usageCount,
  created_at: t.createdAt.toISOString(),
  updated_at: t.updatedAt.toISOString(),
});

export const presentTask = (t: TaskView) => ({
  id: t.id,
  user_id: t.userId,
  name: t.name,
  description: t.description,
  prompt_template: t.promptTemplate,
  variables: t.variables,
  allowed_tools: t.allowedTools,
  disallowed_tools: t.disallowedTools,
  sdk_options: shownSdkOptions(t.sdkOptions),
  is_scheduled: t.isScheduled,
  schedule_cron: t.scheduleCron,
  schedule_enabled: t.scheduleEnabled,
  timezone: t.timezone,
  next_run_at: iso(t.nextRunAt),
  generate_report: t.generateReport,
  report_format: t.reportFormat,
  notification_config: t.notificationConfig && {
    ...(t.notificationConfig.webhook_url === undefined ? {} : { webhook_url: t.notificationConfig.webhook_url }),
    ...(t.notificationConfig.secret === undefined ? {} : { secret: '****' as const }),
  },
  has_trigger_token: t.triggerSecretHash !== null,
  tags: t.tags,
  is_active: t.isActive,
  created_at: t.createdAt.toISOString(),
  updated_at: t.updatedAt.toISOString(),
});

export const presentMcpHealth = (h: McpHealth) => ({
  status: h.status,
  latency_ms: h.latencyMs,
  tools: h.tools,
  ...(h.error ? { error: h.error } : {}),
  checked_at: h.checkedAt.toISOString(),
});

/** Secret values never leave: each shows as the mask, under its real key. */
export const presentMcpServer = (s: McpServer) => {
  const c = s.connection;
  const masked = (keys: string[]) => Object.fromEntries(keys.map((key) => [key, '********']));
  return {
    id: s.id,
    name: s.name,
    description: s.description,
    server_type: c.type,
    user_id: s.userId,
    is_global: s.isGlobal,
    is_enabled: s.isEnabled,
    ...(c.type === 'stdio' ? { command: c.command, args: c.args, env: masked(c.envKeys) } : { url: c.url, headers: masked(c.headerKeys) }),
    last_health: s.lastHealth && presentMcpHealth(s.lastHealth),
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
  };
};
