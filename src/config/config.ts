import os from 'node:os';
import { z } from 'zod';

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * A live agent process keeps ~100-200 MB; half the machine's memory for agents, at most 32
 * (cold starts are CPU-bound, ~1.5 CPU-seconds each, so more rarely pays off on small machines).
 */
function defaultMaxLiveAgents(): number {
  return Math.max(2, Math.min(32, Math.floor((os.totalmem() * 0.5) / (250 * 1024 * 1024))));
}

/** Every environment variable agentd reads, with its default. The README table mirrors this. */
export const configSchema = z.object({
  PORT: port.default(8000),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  AGENTD_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  REDIS_URL: optionalString.pipe(z.url({ protocol: /^rediss?$/ }).optional()),
  JWT_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  JWT_ACCESS_TTL_SECONDS: positiveInt.default(900),
  JWT_REFRESH_TTL_SECONDS: positiveInt.default(60 * 60 * 24 * 14),
  AGENTD_ADMIN_EMAIL: optionalString.pipe(z.email().optional()),
  AGENTD_ADMIN_PASSWORD: optionalString.pipe(z.string().min(8, 'must be at least 8 characters').optional()),
  AGENTD_MAX_SESSIONS_PER_USER: positiveInt.default(5),
  AGENTD_SHUTDOWN_TIMEOUT_SECONDS: positiveInt.default(30),
  AGENTD_MAX_LIVE_AGENTS: positiveInt.default(defaultMaxLiveAgents()),
  AGENTD_AGENT_IDLE_SECONDS: positiveInt.default(600),
  AGENTD_AGENT_QUEUE_SIZE: z.coerce.number().int().min(0).default(32),
  AGENTD_AGENT_QUEUE_WAIT_SECONDS: positiveInt.default(30),
  AGENTD_PREWARM_AGENTS: z.coerce.number().int().min(0).default(0),
  AGENTD_PERMISSION_TIMEOUT_SECONDS: positiveInt.default(300),
  AGENTD_USER_DAILY_BUDGET_USD: optionalString.pipe(z.coerce.number<string | undefined>().positive().optional()),
  AGENTD_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only').default('agentd'),
  AGENTD_AGENT_SANDBOX: z.enum(['off', 'bwrap']).default('off'),
  AGENTD_AGENT_MODEL: z.string().min(1).default('claude-sonnet-4-5'),
  AGENTD_AGENT_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  AGENTD_SECRETS_KEY: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  AGENTD_MCP_HEALTH_TIMEOUT_SECONDS: positiveInt.default(10),
  AGENTD_WEBHOOK_ATTEMPTS: positiveInt.default(5),
  AGENTD_WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(0).default(2000),
  AGENTD_WEBHOOK_TIMEOUT_SECONDS: positiveInt.default(10),
  AGENTD_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(60),
  AGENTD_RATE_LIMIT_PER_HOUR: z.coerce.number().int().min(0).default(1000),
  AGENTD_ANONYMOUS_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(20),
  AGENTD_OUTBOUND_DENY: z
    .string()
    .default('169.254.0.0/16,fe80::/10')
    .transform((v) => v.split(',').map((part) => part.trim()).filter((part) => part !== ''))
    .pipe(z.array(z.string().regex(/^[0-9a-fA-F.:]+(\/\d{1,3})?$/, 'addresses or CIDRs separated by commas'))),
  AGENTD_TRUST_PROXY: optionalString.pipe(
    z
      .string()
      .regex(/^(true|false|[0-9a-fA-F.:/, ]+)$/, 'true, false, or proxy addresses/CIDRs separated by commas')
      .transform((v) => (v === 'true' ? true : v === 'false' ? false : v))
      .optional(),
  ),
  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_BASE_URL: optionalString.pipe(z.url().optional()),
});

export type Config = Readonly<z.infer<typeof configSchema>>;

export class ConfigError extends Error {}

/** Parses the environment once; a bad value stops start-up with a message naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const config = parsed.data;
  if (config.AGENTD_ADMIN_EMAIL && !config.AGENTD_ADMIN_PASSWORD) {
    throw new ConfigError('Invalid configuration: AGENTD_ADMIN_PASSWORD: required when AGENTD_ADMIN_EMAIL is set');
  }
  return Object.freeze(config);
}
