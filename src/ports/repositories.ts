import type {
  AuditEntry,
  AuditLog,
  ExecutionStatus,
  TaskExecution,
  HookExecution,
  Message,
  MessageType,
  Page,
  PermissionDecision,
  Session,
  SdkOptions,
  SessionTemplate,
  Task,
  ToolCall,
  ToolCallStatus,
  User,
  WebhookDelivery,
} from '../domain/entities.ts';
import type { McpServerRecord } from '../domain/mcp-server.ts';
import type { Report } from '../domain/report.ts';
import type { Role } from '../domain/roles.ts';
import type { SessionMode, SessionStatus } from '../domain/session-status.ts';

export interface PageRequest {
  skip: number;
  limit: number;
}

export interface NewUser {
  email: string;
  username: string;
  fullName?: string | null | undefined;
  passwordHash: string;
  role: Role;
  maxConcurrentSessions: number;
}

export interface UserRepository {
  /** Fails with EMAIL_TAKEN when the email or username is in use. */
  insert(user: NewUser): Promise<User>;
  findById(id: string): Promise<User | undefined>;
  findByEmail(email: string): Promise<User | undefined>;
  findByUsername(username: string): Promise<User | undefined>;
  /** Takes a row lock on the user until the transaction ends: serialises per-user quota checks. */
  lockById(id: string): Promise<User | undefined>;
  update(id: string, patch: Partial<Pick<User, 'role' | 'isActive' | 'maxConcurrentSessions' | 'maxStorageMb'>>): Promise<User | undefined>;
  touchLogin(id: string, at: Date): Promise<void>;
  list(page: PageRequest): Promise<Page<User>>;
  count(): Promise<number>;
}

export interface RefreshTokenRepository {
  insert(token: { id: string; userId: string; familyId: string; expiresAt: Date }): Promise<void>;
  /** Marks the token used if it is unused, unrevoked and unexpired; returns whether it was. */
  consume(id: string, at: Date): Promise<{ userId: string; familyId: string } | 'reused' | undefined>;
  revokeFamily(familyId: string, at: Date): Promise<void>;
}

export interface NewSession {
  userId: string;
  name: string | null;
  mode: SessionMode;
  sdkOptions: SdkOptions;
  workingDirectoryPath: string;
  parentSessionId?: string | null | undefined;
  isFork?: boolean | undefined;
  templateId?: string | null | undefined;
  agentSessionId?: string | null | undefined;
  id?: string | undefined;
}

export interface SessionFilter {
  userId?: string | undefined;
  status?: SessionStatus | undefined;
  mode?: SessionMode | undefined;
}

export interface TurnTotals {
  messages: number;
  toolCalls: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
}

export interface SessionRepository {
  insert(session: NewSession): Promise<Session>;
  findById(id: string): Promise<Session | undefined>;
  list(filter: SessionFilter, page: PageRequest): Promise<Page<Session>>;
  countLive(userId: string): Promise<number>;
  countByStatus(): Promise<Record<string, number>>;
  /** Compare-and-set on status: returns the updated row, or undefined when the status was not `from`. */
  transition(id: string, from: readonly SessionStatus[], to: SessionStatus, patch?: Partial<Pick<Session, 'errorMessage' | 'startedAt' | 'completedAt' | 'resultData' | 'agentSessionId' | 'runnerId'>>): Promise<Session | undefined>;
  update(id: string, patch: Partial<Pick<Session, 'agentSessionId' | 'sdkOptions' | 'errorMessage' | 'name' | 'mcpServers'>>): Promise<void>;
  addTotals(id: string, totals: Partial<TurnTotals>): Promise<void>;
  findByStatus(statuses: readonly SessionStatus[], runnerId?: string): Promise<Session[]>;
}

export interface MessageRepository {
  /** USD the user's turns have cost since `since`, from the stored turn results. */
  costSince(userId: string, since: Date): Promise<number>;
  insert(message: { sessionId: string; messageType: MessageType; content: Record<string, unknown>; model?: string | null | undefined; parentToolUseId?: string | null | undefined }): Promise<Message>;
  list(sessionId: string, page: PageRequest): Promise<Page<Message>>;
}

export interface ToolCallRepository {
  upsertStarted(call: { sessionId: string; toolName: string; toolUseId: string; input: Record<string, unknown> }): Promise<ToolCall>;
  complete(sessionId: string, toolUseId: string, result: { status: ToolCallStatus; output?: unknown; errorMessage?: string | null; permissionDecision?: string | null; completedAt: Date }): Promise<ToolCall | undefined>;
  findByToolUseId(sessionId: string, toolUseId: string): Promise<ToolCall | undefined>;
  list(sessionId: string, page: PageRequest): Promise<Page<ToolCall>>;
}

export interface PermissionDecisionRepository {
  insert(decision: Omit<PermissionDecision, 'id' | 'createdAt'>): Promise<PermissionDecision>;
  list(sessionId: string, page: PageRequest): Promise<Page<PermissionDecision>>;
}

export interface HookExecutionRepository {
  insert(row: { sessionId: string; hookName: string; toolName?: string | null; toolUseId?: string | null; details: Record<string, unknown> }): Promise<void>;
  list(sessionId: string, page: PageRequest): Promise<Page<HookExecution>>;
}

export interface SessionEventRepository {
  /** Stores the event and advances the session's last_seq; false when the seq was already taken. */
  insert(sessionId: string, seq: number, event: Record<string, unknown>): Promise<boolean>;
  lastSeq(sessionId: string): Promise<number>;
  listAfter(sessionId: string, afterSeq: number, limit: number): Promise<Record<string, unknown>[]>;
}

export interface AuditFilter {
  userId?: string | undefined;
  eventType?: string | undefined;
  category?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
}

export interface AuditRepository {
  insert(entry: AuditEntry): Promise<void>;
  list(filter: AuditFilter, page: PageRequest): Promise<Page<AuditLog>>;
}

/**
 * The agent's conversation transcripts: per key, an append-only list of JSON lines, so any host
 * can resume a conversation. An entry with a string `uuid` already stored under its key is not
 * stored again (a retried batch is harmless); entries without one are always appended.
 */
export interface TranscriptRepository {
  append(key: string, entries: readonly unknown[]): Promise<void>;
  /** The entries in append order; null for a key never written. */
  load(key: string): Promise<unknown[] | null>;
  /** Every stored key that starts with `prefix`. */
  listKeys(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
}

export type NewMcpServer = Omit<McpServerRecord, 'id' | 'lastHealth' | 'createdAt' | 'updatedAt'>;

/** MCP servers of one owner (a user id, or null for the global ones); names are unique per owner. */
export interface McpServerRepository {
  /** Fails with MCP_SERVER_NAME_TAKEN when the owner already has a server of that name. */
  insert(server: NewMcpServer): Promise<McpServerRecord>;
  findById(id: string): Promise<McpServerRecord | undefined>;
  /** The user's own servers and the global ones, own first, by name. */
  listVisible(userId: string, page: PageRequest): Promise<Page<McpServerRecord>>;
  /** Every server of one owner, by name. */
  listOwned(owner: string | null): Promise<McpServerRecord[]>;
  /** The user's enabled servers and the enabled global ones. */
  listEnabledFor(userId: string): Promise<McpServerRecord[]>;
  /** Fails with MCP_SERVER_NAME_TAKEN on a rename onto a taken name. */
  update(id: string, patch: Partial<Pick<McpServerRecord, 'name' | 'description' | 'config' | 'encryptedSecrets' | 'isEnabled'>>): Promise<McpServerRecord | undefined>;
  delete(id: string): Promise<boolean>;
  setHealth(id: string, health: Record<string, unknown>): Promise<void>;
}

export type NewSessionTemplate = Omit<SessionTemplate, 'id' | 'usageCount' | 'createdAt' | 'updatedAt'>;

export interface SessionTemplateRepository {
  insert(template: NewSessionTemplate): Promise<SessionTemplate>;
  findById(id: string): Promise<SessionTemplate | undefined>;
  /** The user's own templates and every public one (everyone's when `userId` is undefined), newest first. */
  listVisible(filter: { userId?: string | undefined; category?: string | undefined }, page: PageRequest): Promise<Page<SessionTemplate>>;
  update(id: string, patch: Partial<Omit<NewSessionTemplate, 'userId'>>): Promise<SessionTemplate | undefined>;
  delete(id: string): Promise<boolean>;
  /** Counts one more session started from the template, atomically; false when it no longer exists. */
  incrementUsage(id: string): Promise<boolean>;
}

export type NewTask = Omit<Task, 'id' | 'isPublic' | 'triggerSecretHash' | 'createdAt' | 'updatedAt'>;

export interface TaskFilter {
  userId?: string | undefined;
  isActive?: boolean | undefined;
  isScheduled?: boolean | undefined;
  /** Tasks carrying this tag. */
  tag?: string | undefined;
}

export interface TaskRepository {
  insert(task: NewTask): Promise<Task>;
  findById(id: string): Promise<Task | undefined>;
  list(filter: TaskFilter, page: PageRequest): Promise<Page<Task>>;
  update(id: string, patch: Partial<Omit<NewTask, 'userId'>>): Promise<Task | undefined>;
  delete(id: string): Promise<boolean>;
  /** Active tasks on an enabled schedule, of every user: what the scheduler declares at start-up. */
  listScheduled(): Promise<Task[]>;
  /** Sets or (null) removes the hash of the task's trigger token. */
  setTriggerSecretHash(id: string, hash: string | null): Promise<boolean>;
}

export interface TaskExecutionRepository {
  /** Undefined, and nothing written, when the task already has an execution for the same `scheduledFor`. */
  insert(execution: Pick<TaskExecution, 'taskId' | 'userId' | 'sessionId' | 'trigger' | 'variables' | 'runnerId'> & { scheduledFor?: Date | null }): Promise<TaskExecution | undefined>;
  findById(id: string): Promise<TaskExecution | undefined>;
  listForTask(taskId: string, page: PageRequest): Promise<Page<TaskExecution>>;
  findByStatus(statuses: readonly ExecutionStatus[], runnerId: string): Promise<TaskExecution[]>;
  /** Compare-and-set on status, like sessions: undefined when the execution was not in `from`. */
  transition(
    id: string,
    from: readonly ExecutionStatus[],
    to: ExecutionStatus,
    patch?: Partial<Pick<TaskExecution, 'sessionId' | 'costUsd' | 'durationMs' | 'errorMessage' | 'startedAt' | 'completedAt' | 'runnerId' | 'reportId'>>,
  ): Promise<TaskExecution | undefined>;
  /** Sets fields that do not change the status (the session once created, the report once written). */
  update(id: string, patch: Partial<Pick<TaskExecution, 'sessionId' | 'reportId'>>): Promise<TaskExecution | undefined>;
  delete(id: string): Promise<boolean>;
  /** Appends one webhook attempt to the execution's record, atomically. */
  appendDelivery(id: string, delivery: WebhookDelivery): Promise<void>;
}

export interface ReportFilter {
  userId?: string | undefined;
  sessionId?: string | undefined;
  executionId?: string | undefined;
}

export interface ReportRepository {
  insert(report: Omit<Report, 'createdAt'>): Promise<Report>;
  findById(id: string): Promise<Report | undefined>;
  /** Newest first. */
  list(filter: ReportFilter, page: PageRequest): Promise<Page<Report>>;
  delete(id: string): Promise<boolean>;
  /** The bytes of all the user's report files. */
  totalSizeForUser(userId: string): Promise<number>;
}

export interface Repositories {
  users: UserRepository;
  refreshTokens: RefreshTokenRepository;
  sessions: SessionRepository;
  messages: MessageRepository;
  toolCalls: ToolCallRepository;
  permissionDecisions: PermissionDecisionRepository;
  hookExecutions: HookExecutionRepository;
  sessionEvents: SessionEventRepository;
  audit: AuditRepository;
  transcripts: TranscriptRepository;
  mcpServers: McpServerRepository;
  templates: SessionTemplateRepository;
  tasks: TaskRepository;
  taskExecutions: TaskExecutionRepository;
  reports: ReportRepository;
}

/** The unit of work: repositories outside a transaction, and a way to run several writes atomically. */
export interface Store extends Repositories {
  transaction<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
