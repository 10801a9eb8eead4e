import YAML from 'yaml';
import type { McpServer } from '../../domain/mcp-server.ts';
import { MASKED } from './definition.ts';

export type DocumentFormat = 'json' | 'yaml';

/** The most servers one import may hold. */
export const maxImportEntries = 200;

export class DocumentError extends Error {}

/**
 * The `mcpServers` map of a standard configuration document (`{"mcpServers": {"name": {...}}}`),
 * from JSON or YAML text or an already-parsed object. YAML is parsed with the core schema only:
 * no custom tags, and the parser's alias limit stops expansion bombs.
 */
export function serversOfDocument(document: string | Record<string, unknown>, format?: DocumentFormat): Record<string, unknown> {
  const root = typeof document === 'string' ? parseText(document, format) : document;
  if (!isPlainObject(root) || !isPlainObject(root.mcpServers)) throw new DocumentError('the document must be an object with an "mcpServers" object');
  const servers = root.mcpServers;
  if (Object.keys(servers).length > maxImportEntries) throw new DocumentError(`a document may hold at most ${maxImportEntries} servers`);
  return servers;
}

function parseText(text: string, format: DocumentFormat | undefined): unknown {
  const chosen = format ?? (/^\s*[{[]/.test(text) ? 'json' : 'yaml');
  try {
    if (chosen === 'json') return JSON.parse(text);
    const parsed: unknown = YAML.parse(text, { schema: 'core', uniqueKeys: true, maxAliasCount: 100, prettyErrors: false });
    // Anchors can make a structure refer to itself; a JSON round trip refuses that and leaves plain data.
    return JSON.parse(JSON.stringify(parsed) ?? 'null');
  } catch (error) {
    // Parser messages quote a little of the input: fine, it is the caller's own document.
    const reason = error instanceof Error ? error.message.split('\n')[0] : 'unreadable';
    throw new DocumentError(`the document is not valid ${chosen.toUpperCase()}: ${reason}`);
  }
}

const variablePattern = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** `${VAR}` and `${VAR:-default}` from the given variables only; names with no value and no default are collected. */
export function expandVariables(text: string, variables: Readonly<Record<string, string>>, missing: Set<string>): string {
  return text.replace(variablePattern, (_whole, name: string, fallback: string | undefined) => {
    const value = Object.hasOwn(variables, name) ? variables[name] : undefined;
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    if (value === undefined) missing.add(name);
    return '';
  });
}

const remoteTypes: Record<string, 'sse' | 'http'> = { sse: 'sse', http: 'http', 'streamable-http': 'http', streamableHttp: 'http' };

/**
 * One document entry as the input of a server definition (validated by the caller), with its
 * variables expanded. Keys other clients add (`timeout`, `alwaysAllow`, ...) are ignored.
 */
export function definitionOfEntry(name: string, entry: unknown, variables: Readonly<Record<string, string>>): Record<string, unknown> {
  if (!isPlainObject(entry)) throw new DocumentError('the entry must be an object');
  const missing = new Set<string>();
  // Strings, and the strings of one list or map: the shapes a definition has (deeper input is invalid anyway).
  const expandString = (value: unknown) => (typeof value === 'string' ? expandVariables(value, variables, missing) : value);
  const expand = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(expandString);
    if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, expandString(item)]));
    return expandString(value);
  };
  const type = entry.type ?? (entry.command !== undefined ? 'stdio' : entry.url !== undefined ? 'http' : undefined);
  const enabled = typeof entry.enabled === 'boolean' ? entry.enabled : typeof entry.disabled === 'boolean' ? !entry.disabled : undefined;
  const common = { name, description: entry.description, is_enabled: enabled };
  let definition: Record<string, unknown>;
  if (type === 'stdio') {
    definition = { ...common, server_type: 'stdio', command: expand(entry.command), args: expand(entry.args), env: expand(entry.env) };
  } else if (typeof type === 'string' && Object.hasOwn(remoteTypes, type)) {
    definition = { ...common, server_type: remoteTypes[type], url: expand(entry.url), headers: expand(entry.headers) };
  } else {
    throw new DocumentError('the entry needs a "command" (stdio) or a "url" and a "type" of sse or http');
  }
  if (missing.size > 0) throw new DocumentError(`undefined variables without a default: ${[...missing].join(', ')}`);
  return Object.fromEntries(Object.entries(definition).filter(([, value]) => value !== undefined));
}

/** A document that imports again: secret values masked, agentd's own fields only when they differ from the defaults. */
export function documentOf(servers: readonly McpServer[]) {
  const mask = (keys: string[]) => Object.fromEntries(keys.map((key) => [key, MASKED]));
  const entries = servers.map((server) => {
    const c = server.connection;
    const connection = c.type === 'stdio' ? { type: c.type, command: c.command, args: c.args, env: mask(c.envKeys) } : { type: c.type, url: c.url, headers: mask(c.headerKeys) };
    return [server.name, { ...connection, ...(server.description ? { description: server.description } : {}), ...(server.isEnabled ? {} : { enabled: false }) }] as const;
  });
  return { mcpServers: Object.fromEntries(entries) };
}

export function serializeDocument(document: ReturnType<typeof documentOf>, format: DocumentFormat): string {
  return format === 'json' ? `${JSON.stringify(document, null, 2)}\n` : YAML.stringify(document);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
