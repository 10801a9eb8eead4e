import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  json,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { SdkOptions, SessionMcpServer, WebhookDelivery } from '../domain/entities.ts';

const id = () => uuid('id').primaryKey().defaultRandom();
const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();
const tokens = (name: string) => bigint(name, { mode: 'number' }).notNull().default(0);

export const users = pgTable(
  'users',
  {
    id: id(),
    email: text('email').notNull(),
    username: text('username').notNull(),
    fullName: text('full_name'),
    passwordHash: text('password_hash').notNull(),
    role: text('role', { enum: ['admin', 'user', 'viewer'] }).notNull().default('user'),
    isActive: boolean('is_active').notNull().default(true),
    maxConcurrentSessions: integer('max_concurrent_sessions').notNull().default(5),
    maxStorageMb: integer('max_storage_mb').notNull().default(10240),
    lastLoginAt: timestamp('last_login_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('users_email_key').on(sql`lower(${t.email})`), uniqueIndex('users_username_key').on(sql`lower(${t.username})`)],
);

export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    familyId: uuid('family_id').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('refresh_tokens_family_idx').on(t.familyId)],
);

export const sessions = pgTable(
  'sessions',
  {
    id: id(),
    userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    name: text('name'),
    mode: text('mode', { enum: ['interactive', 'non_interactive'] }).notNull(),
    status: text('status').notNull().default('created'),
    sdkOptions: jsonb('sdk_options').$type<SdkOptions>().notNull().default({}),
    workingDirectoryPath: text('working_directory_path').notNull(),
    parentSessionId: uuid('parent_session_id'),
    isFork: boolean('is_fork').notNull().default(false),
    templateId: uuid('template_id'),
    agentSessionId: text('agent_session_id'),
    // The server instance running the session's current turn: after a crash, only its own turns are recovered.
    runnerId: text('runner_id'),
    // The MCP servers given to the agent (no secrets) and the status the agent reported for each.
    mcpServers: jsonb('mcp_servers').$type<SessionMcpServer[]>().notNull().default([]),
    totalMessages: integer('total_messages').notNull().default(0),
    totalToolCalls: integer('total_tool_calls').notNull().default(0),
    totalCostUsd: doublePrecision('total_cost_usd').notNull().default(0),
    apiInputTokens: tokens('api_input_tokens'),
    apiOutputTokens: tokens('api_output_tokens'),
    apiCacheCreationTokens: tokens('api_cache_creation_tokens'),
    apiCacheReadTokens: tokens('api_cache_read_tokens'),
    lastSeq: bigint('last_seq', { mode: 'number' }).notNull().default(0),
    resultData: jsonb('result_data').$type<Record<string, unknown>>(),
    errorMessage: text('error_message'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [index('sessions_user_status_idx').on(t.userId, t.status), index('sessions_created_idx').on(t.createdAt)],
);

export const messages = pgTable(
  'messages',
  {
    id: id(),
    sessionId: uuid('session_id').notNull().references(() => sessions.id, { onDelete: 'cascade' }),
    messageType: text('message_type', { enum: ['user', 'assistant', 'system', 'tool_result', 'result', 'error'] }).notNull(),
    content: jsonb('content').$type<Record<string, unknown>>().notNull(),
    sequenceNumber: integer('sequence_number').notNull(),
    model: text('model'),
    parentToolUseId: text('parent_tool_use_id'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('messages_session_seq_key').on(t.sessionId, t.sequenceNumber)],
);

export const toolCalls = pgTable(
  'tool_calls',
  {
    id: id(),
    sessionId: uuid('session_id').notNull().references(() => sessions.id, { onDelete: 'cascade' }),
    toolName: text('tool_name').notNull(),
    toolUseId: text('tool_use_id').notNull(),
    input: jsonb('input').$type<Record<string, unknown>>().notNull().default({}),
    output: jsonb('output').$type<unknown>(),
    status: text('status', { enum: ['pending', 'running', 'success', 'error', 'denied'] }).notNull(),
    permissionDecision: text('permission_decision'),
    errorMessage: text('error_message'),
    durationMs: integer('duration_ms'),
    createdAt: createdAt(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('tool_calls_session_use_key').on(t.sessionId, t.toolUseId)],
);

export const permissionDecisions = pgTable(
  'permission_decisions',
  {
    id: id(),
    sessionId: uuid('session_id').notNull().references(() => sessions.id, { onDelete: 'cascade' }),
    toolName: text('tool_name').notNull(),
    toolUseId: text('tool_use_id'),
    input: jsonb('input').$type<Record<string, unknown>>().notNull().default({}),
    decision: text('decision', { enum: ['allow', 'deny'] }).notNull(),
    reason: text('reason'),
    decidedBy: text('decided_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('permission_decisions_session_idx').on(t.sessionId)],
);

export const hookExecutions = pgTable(
  'hook_executions',
  {
    id: id(),
    sessionId: uuid('session_id').notNull().references(() => sessions.id, { onDelete: 'cascade' }),
    hookName: text('hook_name').notNull(),
    toolName: text('tool_name'),
    toolUseId: text('tool_use_id'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index('hook_executions_session_idx').on(t.sessionId)],
);

export const sessionEvents = pgTable(
  'session_events',
  {
    sessionId: uuid('session_id').notNull().references(() => sessions.id, { onDelete: 'cascade' }),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    event: jsonb('event').$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('session_events_key').on(t.sessionId, t.seq)],
);

export const sessionTemplates = pgTable('session_templates', {
  id: id(),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  description: text('description'),
  category: text('category'),
  sdkOptions: jsonb('sdk_options').$type<SdkOptions>().notNull().default({}),
  defaultMode: text('default_mode').notNull().default('interactive'),
  isPublic: boolean('is_public').notNull().default(false),
  usageCount: integer('usage_count').notNull().default(0),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const tasks = pgTable('tasks', {
  id: id(),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  description: text('description'),
  promptTemplate: text('prompt_template').notNull(),
  allowedTools: jsonb('allowed_tools').$type<string[]>().notNull().default([]),
  disallowedTools: jsonb('disallowed_tools').$type<string[]>().notNull().default([]),
  sdkOptions: jsonb('sdk_options').$type<SdkOptions>().notNull().default({}),
  isScheduled: boolean('is_scheduled').notNull().default(false),
  scheduleCron: text('schedule_cron'),
  scheduleEnabled: boolean('schedule_enabled').notNull().default(false),
  timezone: text('timezone').notNull().default('UTC'),
  generateReport: boolean('generate_report').notNull().default(false),
  reportFormat: text('report_format').notNull().default('json'),
  notificationConfig: jsonb('notification_config').$type<Record<string, unknown>>(),
  tags: jsonb('tags').$type<string[]>().notNull().default([]),
  isActive: boolean('is_active').notNull().default(true),
  isPublic: boolean('is_public').notNull().default(false),
  triggerSecretHash: text('trigger_secret_hash'),
  nextRunAt: timestamp('next_run_at', { withTimezone: true }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const taskExecutions = pgTable(
  'task_executions',
  {
    id: id(),
    taskId: uuid('task_id').notNull().references(() => tasks.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    sessionId: uuid('session_id').references(() => sessions.id, { onDelete: 'set null' }),
    trigger: text('trigger').notNull().default('manual'),
    variables: jsonb('variables').$type<Record<string, unknown>>().notNull().default({}),
    status: text('status').notNull().default('pending'),
    reportId: uuid('report_id'),
    costUsd: doublePrecision('cost_usd').notNull().default(0),
    durationMs: integer('duration_ms'),
    errorMessage: text('error_message'),
    deliveries: jsonb('deliveries').$type<WebhookDelivery[]>().notNull().default([]),
    /** The cron instant a scheduled run belongs to: one execution per task and instant, however many servers fire it. */
    scheduledFor: timestamp('scheduled_for', { withTimezone: true }),
    // The server that queued or runs the execution: after a crash, only its own runs are recovered.
    runnerId: text('runner_id'),
    createdAt: createdAt(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [index('task_executions_task_idx').on(t.taskId), uniqueIndex('task_executions_tick_key').on(t.taskId, t.scheduledFor)],
);

export const reports = pgTable(
  'reports',
  {
    id: id(),
    userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    sessionId: uuid('session_id').references(() => sessions.id, { onDelete: 'set null' }),
    executionId: uuid('execution_id'),
    format: text('format').notNull(),
    filePath: text('file_path').notNull(),
    fileSizeBytes: bigint('file_size_bytes', { mode: 'number' }).notNull(),
    options: jsonb('options').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index('reports_user_idx').on(t.userId, t.createdAt), index('reports_session_idx').on(t.sessionId), index('reports_execution_idx').on(t.executionId)],
);

export const mcpServers = pgTable(
  'mcp_servers',
  {
    id: id(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    serverType: text('server_type', { enum: ['stdio', 'sse', 'http', 'sdk'] }).notNull(),
    config: jsonb('config').$type<Record<string, unknown>>().notNull(),
    encryptedSecrets: text('encrypted_secrets'),
    isEnabled: boolean('is_enabled').notNull().default(true),
    isGlobal: boolean('is_global').notNull().default(false),
    lastHealth: jsonb('last_health').$type<Record<string, unknown>>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('mcp_servers_owner_name_key').on(sql`coalesce(${t.userId}::text, 'global')`, t.name)],
);

export const workingDirectoryArchives = pgTable('working_directory_archives', {
  id: id(),
  sessionId: uuid('session_id').notNull().references(() => sessions.id, { onDelete: 'cascade' }),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  archivePath: text('archive_path').notNull(),
  sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
  createdAt: createdAt(),
});

export const auditLogs = pgTable(
  'audit_logs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    eventType: text('event_type').notNull(),
    category: text('category', { enum: ['authentication', 'authorization', 'session', 'task', 'tool', 'system'] }).notNull(),
    userId: uuid('user_id'),
    resourceType: text('resource_type'),
    resourceId: text('resource_id'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index('audit_logs_user_idx').on(t.userId, t.createdAt), index('audit_logs_type_idx').on(t.eventType)],
);

/**
 * The agent's conversation transcripts, one row per transcript line, read back in `id` order.
 * `entry` is `json`, not `jsonb`: a transcript line is an opaque blob that must round-trip, and
 * jsonb refuses strings a tool may well print (`\u0000`, a lone surrogate of a cut-off emoji).
 */
export const agentTranscripts = pgTable(
  'agent_transcripts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    storeKey: text('store_key').notNull(),
    entry: json('entry').$type<unknown>().notNull(),
    /** The line's own id when it has one: a line appended twice (a retried batch) is stored once. */
    uuid: text('uuid'),
    createdAt: createdAt(),
  },
  (t) => [
    // text_pattern_ops also serves the prefix search for a session's subagent transcripts, whatever the collation.
    index('agent_transcripts_key_idx').on(t.storeKey.op('text_pattern_ops'), t.id),
    uniqueIndex('agent_transcripts_key_uuid_key').on(t.storeKey, t.uuid),
  ],
);
