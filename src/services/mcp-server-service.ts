import type { Page } from '../domain/entities.ts';
import { DomainError } from '../domain/errors.ts';
import type { McpHealth, McpServer, McpServerRecord, ResolvedMcpServer } from '../domain/mcp-server.ts';
import { canWrite, isAdmin, type Actor } from '../domain/roles.ts';
import type { Clock } from '../ports/clock.ts';
import type { McpProbe, McpProbeResult } from '../ports/mcp-probe.ts';
import type { PageRequest, Store } from '../ports/repositories.ts';
import { auditOf } from './audit-service.ts';
import { MASKED, describeIssue, serverDefinition, type ServerChange, type ServerDefinition } from './mcp/definition.ts';
import { importServers, type ImportOutcome, type ImportRequest } from './mcp/import.ts';
import { documentOf, serializeDocument, type DocumentFormat } from './mcp/documents.ts';
import { auditDetails, connectionOf, maskedKeys, openSecrets, recordOf, sealSecrets, serverOf, splitSecrets, storedHealth, summaryOf, type Secrets } from './mcp/records.ts';
import type { SecretBox } from './mcp/secret-box.ts';

export interface McpServerServiceOptions {
  healthTimeoutMs: number;
  /** Told about stored servers that cannot be used (e.g. secrets sealed under another key); never given secret values. */
  warn: (message: string, details: Record<string, unknown>) => void;
}

const unreadableSecrets = 'the stored secrets of this server cannot be decrypted (was AGENTD_SECRETS_KEY changed?); set its env or headers again';

/**
 * The MCP server registry: users' own servers and the global ones admins manage. Secret values
 * (env values, header values) are sealed at rest and leave this service only through
 * `resolvedServersFor`, for code inside agentd that starts servers.
 */
export class McpServerService {
  constructor(
    private readonly store: Store,
    private readonly secrets: SecretBox,
    private readonly probe: McpProbe,
    private readonly clock: Clock,
    private readonly options: McpServerServiceOptions,
  ) {}

  async create(actor: Actor, input: ServerDefinition & { is_global?: boolean | undefined }): Promise<McpServer> {
    assertCanWrite(actor);
    if (input.is_global) assertAdmin(actor, 'Only admins create global MCP servers');
    const { is_global: global, ...definition } = input;
    const masked = maskedKeys(splitSecrets(definition).secrets);
    if (masked[0]) throw new DomainError('VALIDATION_ERROR', `${masked[0]}: "${MASKED}" stands for a hidden value; give the real value`);
    const row = recordOf(this.secrets, definition, global ? null : actor.userId);
    return this.store.transaction(async (repos) => {
      const created = await repos.mcpServers.insert(row);
      await repos.audit.insert(auditOf(actor, { eventType: 'mcp_server.created', category: 'tool', resourceType: 'mcp_server', resourceId: created.id, details: auditDetails(created) }));
      return serverOf(created);
    });
  }

  /** The caller's own servers and the global ones. */
  async list(actor: Actor, page: PageRequest): Promise<Page<McpServer>> {
    const found = await this.store.mcpServers.listVisible(actor.userId, page);
    return { ...found, items: found.items.map(serverOf) };
  }

  async get(actor: Actor, id: string): Promise<McpServer> {
    return serverOf(await this.visible(actor, id));
  }

  /**
   * Fields given replace the stored ones; `env` / `headers` replace the whole map, where a value
   * of "********" keeps the stored value of that key. The type and the scope do not change.
   */
  async update(actor: Actor, id: string, change: ServerChange): Promise<McpServer> {
    const record = await this.writable(actor, id);
    const summary = summaryOf(record);
    let stored: Secrets | undefined;
    const storedSecrets = () => {
      try {
        return (stored ??= openSecrets(this.secrets, record));
      } catch {
        throw new DomainError('VALIDATION_ERROR', unreadableSecrets);
      }
    };
    const unmask = (given: Record<string, string>, kind: keyof Secrets) =>
      Object.fromEntries(
        Object.entries(given).map(([key, value]) => {
          if (value !== MASKED) return [key, value];
          const kept = storedSecrets()[kind];
          if (!Object.hasOwn(kept, key)) throw new DomainError('VALIDATION_ERROR', `${kind}.${key}: "${MASKED}" keeps a stored value, and this key has none`);
          return [key, kept[key]];
        }),
      );
    const base = summary.type === 'stdio' ? { command: summary.command, args: summary.args, env: {} } : { url: summary.url, headers: {} };
    const { env, headers, ...plain } = change;
    const candidate = {
      name: record.name,
      description: record.description,
      is_enabled: record.isEnabled,
      server_type: summary.type,
      ...base,
      ...definedOnly(plain),
      ...(env ? { env: unmask(env, 'env') } : {}),
      ...(headers ? { headers: unmask(headers, 'headers') } : {}),
    };
    const parsed = serverDefinition.safeParse(candidate);
    if (!parsed.success) throw new DomainError('VALIDATION_ERROR', `Invalid MCP server: ${describeIssue(parsed.error)}`);
    const next = splitSecrets(parsed.data);
    const secretsChanged = env !== undefined || headers !== undefined;
    const config = secretsChanged ? next.config : { ...next.config, ...pick(record.config, ['env_keys', 'header_keys']) };
    return this.store.transaction(async (repos) => {
      const updated = await repos.mcpServers.update(id, {
        name: parsed.data.name,
        description: parsed.data.description ?? null,
        isEnabled: parsed.data.is_enabled,
        config,
        encryptedSecrets: secretsChanged ? sealSecrets(this.secrets, next.secrets) : record.encryptedSecrets,
      });
      if (!updated) throw notFound();
      const changed = Object.keys(definedOnly(change));
      await repos.audit.insert(auditOf(actor, { eventType: 'mcp_server.updated', category: 'tool', resourceType: 'mcp_server', resourceId: id, details: { ...auditDetails(updated), changed } }));
      return serverOf(updated);
    });
  }

  async delete(actor: Actor, id: string): Promise<void> {
    const record = await this.writable(actor, id);
    await this.store.transaction(async (repos) => {
      if (!(await repos.mcpServers.delete(id))) throw notFound();
      await repos.audit.insert(auditOf(actor, { eventType: 'mcp_server.deleted', category: 'tool', resourceType: 'mcp_server', resourceId: id, details: auditDetails(record) }));
    });
  }

  /** Imports a standard `{"mcpServers": {...}}` document; names the owner already has are skipped, bad entries reported. */
  async importDocument(actor: Actor, request: ImportRequest): Promise<ImportOutcome> {
    assertCanWrite(actor);
    if (request.is_global) assertAdmin(actor, 'Only admins import global MCP servers');
    return importServers(this.store, this.secrets, actor, request);
  }

  /** The caller's own servers (or the global ones) as a document that imports again, secrets masked. */
  async exportDocument(actor: Actor, options: { format: DocumentFormat; scope: 'own' | 'global' }) {
    const records = await this.store.mcpServers.listOwned(options.scope === 'global' ? null : actor.userId);
    const document = documentOf(records.map(serverOf));
    return { document, text: serializeDocument(document, options.format) };
  }

  /** Connects, lists the tools and disconnects under the configured timeout; the result is stored on the server. */
  async healthCheck(actor: Actor, id: string): Promise<McpHealth> {
    const record = await this.visible(actor, id);
    assertCanWrite(actor);
    let result: McpProbeResult;
    try {
      const connection = connectionOf(this.secrets, record);
      result = await this.probe.probe(connection, { timeoutMs: this.options.healthTimeoutMs });
    } catch {
      result = { ok: false, latencyMs: 0, tools: [], error: unreadableSecrets };
    }
    const health: McpHealth = { status: result.ok ? 'healthy' : 'unhealthy', latencyMs: result.latencyMs, tools: result.tools, error: result.error, checkedAt: this.clock.now() };
    await this.store.mcpServers.setHealth(id, storedHealth(health));
    return health;
  }

  /**
   * The servers a user's agent gets: their enabled servers and the enabled global ones, secrets
   * decrypted. A user's server shadows a global one of the same name. Servers whose secrets
   * cannot be opened are left out (and reported through `warn`), so one bad row blocks no session.
   */
  async resolvedServersFor(userId: string): Promise<ResolvedMcpServer[]> {
    const records = await this.store.mcpServers.listEnabledFor(userId);
    const byName = new Map<string, ResolvedMcpServer>();
    // Globals first, so the user's own servers replace them by name.
    for (const record of [...records.filter((r) => r.userId === null), ...records.filter((r) => r.userId !== null)]) {
      const scope = record.userId === null ? 'global' : 'user';
      try {
        byName.set(record.name, { id: record.id, name: record.name, scope, config: connectionOf(this.secrets, record) });
      } catch {
        byName.delete(record.name);
        this.options.warn('MCP server left out: its secrets cannot be decrypted', { mcp_server_id: record.id, name: record.name });
      }
    }
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  private async visible(actor: Actor, id: string): Promise<McpServerRecord> {
    const record = await this.store.mcpServers.findById(id);
    if (!record || (record.userId !== null && record.userId !== actor.userId)) throw notFound();
    return record;
  }

  private async writable(actor: Actor, id: string): Promise<McpServerRecord> {
    const record = await this.visible(actor, id);
    assertCanWrite(actor);
    if (record.userId === null) assertAdmin(actor, 'Only admins change global MCP servers');
    return record;
  }
}

const notFound = () => new DomainError('MCP_SERVER_NOT_FOUND', 'MCP server not found');

function assertCanWrite(actor: Actor) {
  if (!canWrite(actor)) throw new DomainError('FORBIDDEN', 'Viewers have read-only access');
}

function assertAdmin(actor: Actor, message: string) {
  if (!isAdmin(actor)) throw new DomainError('FORBIDDEN', message);
}

const definedOnly = <T extends object>(value: T) => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
const pick = (source: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.filter((k) => Object.hasOwn(source, k)).map((k) => [k, source[k]]));
