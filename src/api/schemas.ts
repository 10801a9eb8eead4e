import { z } from 'zod';
import { reportFormats } from '../domain/entities.ts';
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
    builtin_tools: z.array(z.enum(['monitoring'])).max(10).optional().describe("agentd's in-process tools for the agent: monitoring (server health, this session's usage)"),
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
  webhook_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000).optional(),
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
  notification_config: notificationConfigSchema.nullable(),
  tags: z.array(z.string()),
  is_active: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});
