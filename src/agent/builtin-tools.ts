import { createSdkMcpServer, tool, type McpSdkServerConfigWithInstance } from '@anthropic-ai/claude-agent-sdk';
import { z } from 'zod';
import type { BuiltinTools, ToolText } from '../ports/agent-runtime.ts';
import { messageOf } from '../domain/errors.ts';

const asText = (value: unknown) => ({ content: [{ type: 'text' as const, text: JSON.stringify(value, null, 2) }] });

/** A tool's text for the agent; a failure is an error result the agent reads, never a crash of its turn. */
async function asResult(run: () => Promise<ToolText>) {
  let out: ToolText;
  try {
    out = await run();
  } catch (error) {
    out = { text: `ERROR: ${messageOf(error)}`, isError: true };
  }
  return { content: [{ type: 'text' as const, text: out.text }], ...(out.isError ? { isError: true } : {}) };
}

/** An MCP server served inside agentd, loaded with the agent (its tools are never deferred). */
const inProcessServer = (name: string, tools: Parameters<typeof createSdkMcpServer>[0]['tools']) => createSdkMcpServer({ name, version: '1.0.0', alwaysLoad: true, tools });

const readOnly = { annotations: { readOnlyHint: true, destructiveHint: false } };
// Kubernetes object names: namespaces and containers are DNS labels, pods DNS subdomains.
const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a Kubernetes name (lower-case letters, digits, -)');
const dnsSubdomain = z.string().max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a Kubernetes object name');

/**
 * agentd's own tools, served in-process as MCP servers (`mcp__<server>__<tool>`). They read
 * through the sources the services hand in; the session id is bound here, so an agent can only
 * ever ask about its own session.
 */
export function builtinServers(sessionId: string, builtins: BuiltinTools): Record<string, McpSdkServerConfigWithInstance> {
  const servers: Record<string, McpSdkServerConfigWithInstance> = {};
  const { monitoring, database, kubernetes_readonly: kubernetes } = builtins;
  if (monitoring) {
    servers.monitoring = inProcessServer('monitoring', [
        tool('server_health', "agentd's health: database, live agents, sessions by status", {}, async () => asText(await monitoring.serverHealth())),
        tool('session_usage', "This session's usage so far: messages, tool calls, tokens, cost in USD", {}, async () => asText(await monitoring.sessionUsage(sessionId))),
      ]);
  }
  if (database) {
    servers.database = inProcessServer('database', [
        tool(
          'query',
          'Run ONE read-only SQL statement (PostgreSQL) against the database configured for this session. Writes are refused; long statements are cancelled; the result is a text table with a capped number of rows.',
          { sql: z.string().min(1).max(100_000).describe('One SQL statement, no trailing second statement') },
          async ({ sql }) => asResult(() => database.query(sql)),
          readOnly,
        ),
        tool('list_tables', 'The tables and views of the configured database (schema, name, type), system schemas left out', {}, async () => asResult(() => database.listTables()), readOnly),
      ]);
  }
  if (kubernetes) {
    servers.kubernetes_readonly = inProcessServer('kubernetes_readonly', [
        tool('list_namespaces', 'The namespaces of the cluster: name, status, age', {}, async () => asResult(() => kubernetes.listNamespaces()), readOnly),
        tool('list_pods', 'The pods of one namespace: name, ready, status, restarts, age, IP, node', { namespace: dnsLabel }, async ({ namespace }) => asResult(() => kubernetes.listPods(namespace)), readOnly),
        tool(
          'describe_pod',
          "One pod: node, labels, status, IP, containers (image, state, restarts, ports), conditions",
          { namespace: dnsLabel, name: dnsSubdomain },
          async ({ namespace, name }) => asResult(() => kubernetes.describePod(namespace, name)),
          readOnly,
        ),
        tool(
          'pod_logs',
          "The last lines of a pod's log (one container: needed when the pod has several)",
          { namespace: dnsLabel, name: dnsSubdomain, container: dnsLabel.optional(), tail_lines: z.number().int().min(1).max(1000).optional().describe('Default 100, at most 1000') },
          async ({ namespace, name, container, tail_lines }) => asResult(() => kubernetes.podLogs(namespace, name, { container, tailLines: tail_lines })),
          readOnly,
        ),
      ]);
  }
  return servers;
}
