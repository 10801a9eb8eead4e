import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';
import type { ReadinessCheck } from './api/routes/ops.ts';
import type { Config } from './config/config.ts';
import { persistentSecret } from './config/secrets.ts';
import { openDatabase, type DatabaseHandle } from './db/connection.ts';
import { createStore } from './db/store.ts';
import { systemClock, type Clock } from './ports/clock.ts';
import type { Store } from './ports/repositories.ts';
import { AdminService } from './services/admin-service.ts';
import { McpServerService } from './services/mcp-server-service.ts';
import { SecretBox } from './services/mcp/secret-box.ts';
import { McpClientProbe } from './mcp/client-probe.ts';
import { AuditService } from './services/audit-service.ts';
import { AuthService } from './services/auth/auth-service.ts';
import { TokenSigner } from './services/auth/tokens.ts';
import { SessionService } from './services/session-service.ts';
import { TaskService } from './services/task-service.ts';
import { TaskExecutionService } from './services/task-execution-service.ts';
import { ReportService } from './services/report-service.ts';
import { TaskScheduler } from './services/task-scheduler.ts';
import { WebhookNotifier } from './services/webhooks.ts';
import { BullMqJobQueue } from './jobs/bullmq-queue.ts';
import { InProcessJobQueue } from './jobs/in-process-queue.ts';
import type { JobQueue } from './ports/job-queue.ts';
import { TemplateService } from './services/template-service.ts';
import { CronCalendar } from './jobs/cron-calendar.ts';
import { LiquidPromptRenderer } from './templating/liquid-renderer.ts';
import { SessionEventLog } from './services/session-events.ts';
import { AgentPool } from './services/agents/agent-pool.ts';
import { AgentSessionService } from './services/agents/agent-session-service.ts';
import { ApprovalBroker } from './services/agents/approvals.ts';
import { BudgetPolicy } from './services/agents/budgets.ts';
import { monitoringSource, sessionTools } from './services/agents/session-mcp.ts';
import { SdkAgentRuntime } from './agent/sdk-runtime.ts';
import { resolveModelEndpoint } from './agent/model-endpoint.ts';
import { InProcessEventBus } from './events/in-process-bus.ts';
import { RedisEventBus } from './events/redis-bus.ts';
import { RedisControlBus } from './events/redis-control.ts';
import type { EventBus } from './ports/event-bus.ts';
import type { AgentRuntime } from './ports/agent-runtime.ts';
import type { RateLimiter } from './ports/rate-limiter.ts';
import { OutboundPolicy } from './net/outbound.ts';
import { MemoryRateLimiter } from './ratelimit/memory-limiter.ts';
import { RedisRateLimiter } from './ratelimit/redis-limiter.ts';
import { LocalWorkspaceStorage } from './storage/local-storage.ts';
import { LocalReportStorage } from './storage/report-files.ts';
import { PdfThread } from './reports/pdf-thread.ts';
import { ToolSecrets } from './services/tool-secrets.ts';
import { PostgresReader } from './tools/database.ts';
import { ClientNodeKubernetesReader } from './tools/kubernetes.ts';

export interface Container {
  readonly config: Config;
  readonly store: Store;
  readonly clock: Clock;
  readonly auth: AuthService;
  readonly sessions: SessionService;
  readonly templates: TemplateService;
  readonly tasks: TaskService;
  readonly executions: TaskExecutionService;
  readonly reports: ReportService;
  readonly audit: AuditService;
  readonly admin: AdminService;
  readonly mcpServers: McpServerService;
  readonly agents: AgentSessionService;
  readonly events: SessionEventLog;
  readonly runtime: AgentRuntime;
  readonly readiness: ReadinessCheck[];
  readonly rateLimiter: RateLimiter;
  close(): Promise<void>;
}

/** The only place where implementations are chosen and wired. */
export async function createContainer(config: Config, logger: FastifyBaseLogger, given: { database?: DatabaseHandle } = {}): Promise<Container> {
  const dataDir = path.resolve(config.AGENTD_DATA_DIR);
  const clock = systemClock;
  const database = given.database ?? (await openDatabase({ url: config.DATABASE_URL, dataDir: path.join(dataDir, 'pgdata') }));
  const store = createStore(database);
  const closers: Array<() => Promise<unknown>> = [() => store.close()];
  const readiness: ReadinessCheck[] = [{ name: 'database', check: () => store.ping() }];

  let rateLimiter: RateLimiter = new MemoryRateLimiter(clock);
  if (config.REDIS_URL) {
    const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
    redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
    await redis.connect().catch((error: unknown) => logger.warn({ err: error }, 'redis not reachable at start'));
    readiness.push({ name: 'redis', check: async () => void (await redis.ping()) });
    closers.unshift(() => redis.quit().catch(() => redis.disconnect()));
    // Servers sharing a Redis share the counts, so a limit holds across them.
    rateLimiter = new RedisRateLimiter(redis, config.AGENTD_QUEUE_PREFIX, clock, (error) => logger.warn({ err: error }, 'rate limit not counted: redis failed'));
  }

  // Where agentd connects on a user's behalf (webhooks, the database and kubernetes tools).
  const outbound = new OutboundPolicy(config.AGENTD_OUTBOUND_DENY);
  const jwtSecret = await persistentSecret(dataDir, 'jwt', config.JWT_SECRET, (message) => logger.warn(message));
  const tokens = new TokenSigner({ secret: jwtSecret, accessTtlSeconds: config.JWT_ACCESS_TTL_SECONDS, refreshTtlSeconds: config.JWT_REFRESH_TTL_SECONDS });
  const storage = new LocalWorkspaceStorage(dataDir);
  const auth = new AuthService(store, tokens, clock, { maxConcurrentSessions: config.AGENTD_MAX_SESSIONS_PER_USER });
  const secrets = new SecretBox(await persistentSecret(dataDir, 'secrets', config.AGENTD_SECRETS_KEY, (message) => logger.warn(message)));
  const toolSecrets = new ToolSecrets(secrets, config.DATABASE_URL, (message, details) => logger.warn(details, message));
  const templates = new TemplateService(store, toolSecrets);
  const sessions = new SessionService(store, storage, clock, toolSecrets, templates);
  // Every task write moves its schedule (the scheduler is built below, once executions exist).
  const tasks: TaskService = new TaskService(store, new LiquidPromptRenderer(), new CronCalendar(), clock, secrets, toolSecrets, (taskId, task): Promise<void> => scheduler.follow(taskId, task));
  const audit = new AuditService(store.audit);
  const admin = new AdminService(store, storage);
  const pdfThread = new PdfThread();
  closers.push(() => pdfThread.close());
  const reports = new ReportService(store, new LocalReportStorage(dataDir), clock, pdfThread);
  const mcpServers = new McpServerService(store, secrets, new McpClientProbe({ workDir: path.join(dataDir, 'mcp-probe'), clientVersion: '0.1.0', outbound }), clock, { healthTimeoutMs: config.AGENTD_MCP_HEALTH_TIMEOUT_SECONDS * 1000, warn: (message, details) => logger.warn(details, message) });

  const model = await resolveModelEndpoint(config, logger);
  closers.push(() => model.close());
  const runtime = new SdkAgentRuntime({
    dataDir,
    endpoint: model.endpoint,
    defaultModel: config.AGENTD_AGENT_MODEL,
    maxRetries: config.AGENTD_AGENT_MAX_RETRIES,
    transcripts: store.transcripts,
    log: logger,
    sandbox: config.AGENTD_AGENT_SANDBOX === 'bwrap',
  });
  const bus: EventBus = config.REDIS_URL ? new RedisEventBus(config.REDIS_URL, (error) => logger.warn({ err: error }, 'redis event bus error')) : new InProcessEventBus();
  const events = new SessionEventLog(store, bus, clock);
  const runnerId = await persistentSecret(dataDir, 'instance', undefined, () => undefined);
  const budgets = new BudgetPolicy(store, clock, config.AGENTD_USER_DAILY_BUDGET_USD);
  // The monitoring tools report on the pool that serves them (read only when a tool runs, after start-up).
  const tools = sessionTools(store, mcpServers, {
    monitoring: monitoringSource(store, () => pool.stats()),
    secrets: toolSecrets,
    database: (settings) => new PostgresReader(settings, { ownDatabaseUrl: config.DATABASE_URL, outbound }),
    kubernetes: (settings) => new ClientNodeKubernetesReader(settings, { outbound }),
  });
  const pool = new AgentPool(runtime, store, clock, {
    maxLive: config.AGENTD_MAX_LIVE_AGENTS,
    idleMs: config.AGENTD_AGENT_IDLE_SECONDS * 1000,
    maxWaiting: config.AGENTD_AGENT_QUEUE_SIZE,
    waitMs: config.AGENTD_AGENT_QUEUE_WAIT_SECONDS * 1000,
    maxPrewarmed: config.AGENTD_PREWARM_AGENTS,
  }, tools, (session) => budgets.remaining(session));
  // With Redis, an answer or an interrupt that reaches another server is carried to the one running the turn.
  const control = config.REDIS_URL ? new RedisControlBus(config.REDIS_URL, runnerId, (error) => logger.warn({ err: error }, 'redis control bus error')) : undefined;
  const agents = new AgentSessionService(store, sessions, pool, events, storage, clock, runnerId, new ApprovalBroker(config.AGENTD_PERMISSION_TIMEOUT_SECONDS * 1000), budgets, control);
  if (control) {
    await control.serve((message) => agents.handleControl(message));
    closers.unshift(() => control.close());
  }
  sessions.attachAgents(agents);
  const reaped = runtime.reapOrphans();
  if (reaped > 0) logger.warn({ reaped }, 'killed agent processes left behind by a previous server');
  const recovered = await agents.recoverInterruptedTurns();
  if (recovered > 0) logger.warn({ sessions: recovered }, 'marked turns interrupted by the last shutdown');
  // Agents stop first (they write to the database), the bus and the database last.
  closers.unshift(() => agents.shutdown(), () => bus.close());

  const observer = {
    jobFailed: (failure: { name: string; jobId: string; attempt: number; error: unknown }) => logger.warn({ job: failure.name, job_id: failure.jobId, attempt: failure.attempt, err: failure.error }, 'job failed'),
    error: (error: Error) => logger.warn({ err: error }, 'job queue error'),
  };
  const jobs: JobQueue = config.REDIS_URL ? new BullMqJobQueue({ url: config.REDIS_URL, prefix: config.AGENTD_QUEUE_PREFIX, observer }) : new InProcessJobQueue({ observer });
  const warn = (message: string, details: Record<string, unknown>) => logger.warn(details, message);
  const webhooks = new WebhookNotifier(store, jobs, clock, outbound, (task) => tasks.webhookSecret(task), {
    attempts: config.AGENTD_WEBHOOK_ATTEMPTS,
    backoffMs: config.AGENTD_WEBHOOK_BACKOFF_MS,
    timeoutMs: config.AGENTD_WEBHOOK_TIMEOUT_SECONDS * 1000,
  });
  const executions = new TaskExecutionService(store, tasks, sessions, agents, storage, jobs, clock, { runnerId, reports, listener: webhooks, warn });
  const scheduler = new TaskScheduler(store, jobs, executions, clock, warn);
  jobs.handle('task.execute', ({ executionId }) => executions.run(executionId), { concurrency: 4 });
  jobs.handle('task.schedule_tick', ({ taskId }, { scheduledFor }) => scheduler.tick(taskId, scheduledFor), { concurrency: 2 });
  jobs.handle('task.notify', ({ executionId }, context) => webhooks.deliver(executionId, context), { concurrency: 4 });
  await jobs.start();
  // In the background: a queue that is down (Redis) must not keep the server from starting.
  void scheduler.declareAll().catch((error: unknown) => logger.warn({ err: error }, 'could not declare the task schedules'));
  const runs = await executions.recover();
  if (runs.failed + runs.requeued > 0) logger.warn(runs, 'task executions recovered from the last shutdown');
  // The queue stops before the agents: running jobs still need them while they drain.
  closers.unshift(() => jobs.close());

  if (config.AGENTD_ADMIN_EMAIL && config.AGENTD_ADMIN_PASSWORD) {
    const outcome = await auth.bootstrapAdmin(config.AGENTD_ADMIN_EMAIL, config.AGENTD_ADMIN_PASSWORD);
    if (outcome === 'created') logger.info({ email: config.AGENTD_ADMIN_EMAIL }, 'bootstrap admin created');
  }

  return {
    config,
    store,
    clock,
    auth,
    sessions,
    templates,
    tasks,
    executions,
    reports,
    audit,
    admin,
    mcpServers,
    agents,
    events,
    runtime,
    readiness,
    rateLimiter,
    close: async () => {
      for (const close of closers) await close();
    },
  };
}
