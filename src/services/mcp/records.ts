import type { McpConnection, McpConnectionSummary, McpHealth, McpServer, McpServerRecord } from '../../domain/mcp-server.ts';
import type { NewMcpServer } from '../../ports/repositories.ts';
import { MASKED, type ServerDefinition } from './definition.ts';
import type { SecretBox } from './secret-box.ts';

/** The secret half of a connection: sealed together in `encrypted_secrets`, never in `config`. */
export interface Secrets {
  env: Record<string, string>;
  headers: Record<string, string>;
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');
const texts = (value: unknown) => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

export function summaryOf(record: McpServerRecord): McpConnectionSummary {
  const c = record.config;
  if (record.serverType === 'stdio') return { type: 'stdio', command: text(c.command), args: texts(c.args), envKeys: texts(c.env_keys) };
  return { type: record.serverType === 'sse' ? 'sse' : 'http', url: text(c.url), headerKeys: texts(c.header_keys) };
}

export function healthOf(stored: Record<string, unknown> | null): McpHealth | null {
  if (!stored || (stored.status !== 'healthy' && stored.status !== 'unhealthy')) return null;
  return {
    status: stored.status,
    latencyMs: typeof stored.latency_ms === 'number' ? stored.latency_ms : 0,
    tools: texts(stored.tools),
    error: typeof stored.error === 'string' ? stored.error : undefined,
    checkedAt: new Date(text(stored.checked_at) || 0),
  };
}

export const storedHealth = (health: McpHealth): Record<string, unknown> => ({
  status: health.status,
  latency_ms: health.latencyMs,
  tools: health.tools,
  ...(health.error ? { error: health.error } : {}),
  checked_at: health.checkedAt.toISOString(),
});

export function serverOf(record: McpServerRecord): McpServer {
  return {
    id: record.id,
    userId: record.userId,
    name: record.name,
    description: record.description,
    isEnabled: record.isEnabled,
    isGlobal: record.isGlobal,
    connection: summaryOf(record),
    lastHealth: healthOf(record.lastHealth),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

export function openSecrets(box: SecretBox, record: McpServerRecord): Secrets {
  if (!record.encryptedSecrets) return { env: {}, headers: {} };
  const parsed = JSON.parse(box.open(record.encryptedSecrets)) as Partial<Secrets>;
  return { env: { ...parsed.env }, headers: { ...parsed.headers } };
}

export function sealSecrets(box: SecretBox, secrets: Secrets): string | null {
  const empty = Object.keys(secrets.env).length === 0 && Object.keys(secrets.headers).length === 0;
  return empty ? null : box.seal(JSON.stringify(secrets));
}

/** The full connection of a stored server, secrets decrypted. Throws when they cannot be opened. */
export function connectionOf(box: SecretBox, record: McpServerRecord): McpConnection {
  const summary = summaryOf(record);
  const secrets = openSecrets(box, record);
  if (summary.type === 'stdio') return { type: 'stdio', command: summary.command, args: summary.args, env: secrets.env };
  return { type: summary.type, url: summary.url, headers: secrets.headers };
}

/** A validated definition as a row: names of secrets in `config`, their values sealed. */
export function recordOf(box: SecretBox, definition: ServerDefinition, owner: string | null): NewMcpServer {
  const { config, secrets } = splitSecrets(definition);
  return {
    userId: owner,
    name: definition.name,
    description: definition.description ?? null,
    serverType: definition.server_type,
    config,
    encryptedSecrets: sealSecrets(box, secrets),
    isEnabled: definition.is_enabled,
    isGlobal: owner === null,
  };
}

export function splitSecrets(definition: ServerDefinition): { config: Record<string, unknown>; secrets: Secrets } {
  if (definition.server_type === 'stdio') {
    return { config: { command: definition.command, args: definition.args, env_keys: Object.keys(definition.env) }, secrets: { env: definition.env, headers: {} } };
  }
  return { config: { url: definition.url, header_keys: Object.keys(definition.headers) }, secrets: { env: {}, headers: definition.headers } };
}

/** What an audit row may say about a server: never a secret value, nor the URL or arguments, which may carry tokens. */
export function auditDetails(record: McpServerRecord): Record<string, unknown> {
  const summary = summaryOf(record);
  return {
    name: record.name,
    server_type: record.serverType,
    is_global: record.isGlobal,
    is_enabled: record.isEnabled,
    ...(summary.type === 'stdio' ? { env_keys: summary.envKeys } : { header_keys: summary.headerKeys }),
  };
}

/** `env.KEY` / `headers.KEY` of every masked value. */
export function maskedKeys(secrets: Secrets): string[] {
  return [
    ...Object.entries(secrets.env).filter(([, v]) => v === MASKED).map(([k]) => `env.${k}`),
    ...Object.entries(secrets.headers).filter(([, v]) => v === MASKED).map(([k]) => `headers.${k}`),
  ];
}
