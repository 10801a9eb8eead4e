import { z } from 'zod';
import { builtinToolNames, reportFormats } from '../domain/entities.ts';
import { sessionModes, sessionStatuses } from '../domain/session-status.ts';

export const errorSchema = z.object({
  detail: z.string(),
  error_code: z.string(),
  timestamp: z.string(),
  request_id: z.string(),
  errors: z.unknown().optional(),
});

export const errorResponses = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
  404: errorSchema,
  409: errorSchema,
  422: errorSchema,
  429: errorSchema,
};

export const idParams = z.object({ id: z.uuid({ error: 'must be a UUID' }) });

export const pageQuery = z.object({
  skip: z.coerce.number().int().min(0).max(1_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int(), skip: z.number().int(), limit: z.number().int() });

const toolName = z.string().min(1).max(200);

export const sdkOptionsSchema = z
  .strictObject({
    model: z.string().min(1).max(100).optional(),
    allowed_tools: z.array(toolName).max(200).optional(),
    disallowed_tools: z.array(toolName).max(200).optional(),
    permission_mode: z.enum(['default', 'acceptEdits', 'bypassPermissions', 'plan']).optional(),
    approval_mode: z.enum(['auto', 'interactive']).optional(),
    max_turns: z.number().int().min(1).max(500).optional(),
    system_prompt: z.string().max(100_000).optional(),
    max_budget_usd: z.number().positive().max(100_000).optional(),
    builtin_tools: z
      .array(z.enum(builtinToolNames))
      .max(10)
      .optional()
      .describe("agentd's in-process tools for the agent: monitoring (server health, this session's usage), database (read-only SQL; needs `database`), kubernetes_readonly (namespaces, pods, logs; needs `kubernetes`)"),
    database: z
      .strictObject({
        dsn: z
          .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' })
          .max(2000)
          .describe("postgres://user:password@host:5432/database[?sslmode=disable|require|verify-full]; never agentd's own database. Stored encrypted, shown with the password as ****"),
        statement_timeout_ms: z.number().int().min(100).max(60_000).optional().describe('Per query; default 5000'),
        max_rows: z.number().int().min(1).max(5000).optional().describe('Rows a query returns at most; default 200'),
      })
      .optional()
      .describe('Target of the database built-in'),
    kubernetes: z
      .strictObject({
        kubeconfig: z.string().min(1).max(200_000).describe('Kubeconfig YAML with inline credentials (token, client certificate data); exec and file references are refused. Stored encrypted, shown as ****'),
        context: z.string().min(1).max(253).optional().describe("Default: the kubeconfig's current-context"),
      })
      .optional()
      .describe('Cluster of the kubernetes_readonly built-in'),
  })
  .describe('Agent options; unknown keys are rejected');

export const sessionSchema = z.object({
  id: z.uuid(),
  user_id: z.uuid(),
  name: z.string().nullable(),
  mode: z.enum(sessionModes),
  status: z.enum(sessionStatuses),
  sdk_options: sdkOptionsSchema,
  working_directory_path: z.string(),
  parent_session_id: z.uuid().nullable(),
  is_fork: z.boolean(),
  template_id: z.uuid().nullable(),
  total_messages: z.number().int(),
  total_tool_calls: z.number().int(),
  total_cost_usd: z.number(),
  api_input_tokens: z.number().int(),
  api_output_tokens: z.number().int(),
  api_cache_creation_tokens: z.number().int(),
  api_cache_read_tokens: z.number().int(),
  last_seq: z.number().int(),
  mcp_servers: z.array(z.object({ name: z.string(), type: z.string(), source: z.string(), status: z.string() })),
  error_message: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
});

export const userSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  username: z.string(),
  full_name: z.string().nullable(),
  role: z.enum(['admin', 'user', 'viewer']),
  is_active: z.boolean(),
  max_concurrent_sessions: z.number().int(),
  created_at: z.string(),
  last_login_at: z.string().nullable(),
});

export const sessionTemplateSchema = z.object({
  id: z.uuid(),
  user_id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  category: z.string().nullable(),
  sdk_options: sdkOptionsSchema,
  default_mode: z.enum(sessionModes),
  is_public: z.boolean(),
  usage_count: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const toolListSchema = z.array(toolName).max(200);

export const notificationConfigSchema = z.strictObject({
  webhook_url: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .max(2000)
    .refine((url) => !/^https?:\/\/[^/]*@/i.test(url), 'must not carry a user name or password; the secret signs each delivery')
    .optional(),
  secret: z
    .string()
    .min(16, 'must be at least 16 characters')
    .max(500)
    .optional()
    .describe('Signs each delivery (X-Agentd-Signature: sha256=HMAC(secret, "<X-Agentd-Timestamp>.<body>")); required with webhook_url, kept sealed, shown as "****"'),
});

export const taskSchema = z.object({
  id: z.uuid(),
  user_id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  prompt_template: z.string(),
  variables: z.array(z.string()).describe('Top-level variables the prompt template reads'),
  allowed_tools: z.array(z.string()),
  disallowed_tools: z.array(z.string()),
  sdk_options: sdkOptionsSchema,
  is_scheduled: z.boolean(),
  schedule_cron: z.string().nullable(),
  schedule_enabled: z.boolean(),
  timezone: z.string(),
  next_run_at: z.string().nullable(),
  generate_report: z.boolean(),
  report_format: z.enum(reportFormats),
  notification_config: z.object({ webhook_url: z.string().optional(), secret: z.literal('****').optional() }).nullable(),
  has_trigger_token: z.boolean().describe('Whether POST /tasks/{id}/trigger accepts a token now'),
  tags: z.array(z.string()),
  is_active: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});
