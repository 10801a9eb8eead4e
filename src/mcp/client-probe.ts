import { mkdir } from 'node:fs/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { DEFAULT_INHERITED_ENV_VARS, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { McpConnection } from '../domain/mcp-server.ts';
import type { OutboundPolicy } from '../net/outbound.ts';
import type { McpProbe, McpProbeResult } from '../ports/mcp-probe.ts';

const maxToolPages = 20;
const stderrTail = 2000;

/** Health checks with the official MCP client: connect, list the tools, disconnect. */
export class McpClientProbe implements McpProbe {
  /** `workDir`: the empty directory stdio servers start in (not the server's own working directory). */
  constructor(private readonly options: { workDir: string; clientVersion: string; outbound: OutboundPolicy }) {}

  async probe(connection: McpConnection, { timeoutMs }: { timeoutMs: number }): Promise<McpProbeResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const stderr = { text: '' };
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let transport: Transport | undefined;
    let hungPid: number | null | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // A server that does not answer may not exit when its stdin closes either: remember it to kill it.
        if (transport instanceof StdioClientTransport) hungPid = transport.pid;
        controller.abort();
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    const client = new Client({ name: 'agentd-health-check', version: this.options.clientVersion });
    try {
      transport = await this.transportFor(connection, stderr);
      const requestOptions = { signal: controller.signal, timeout: timeoutMs, maxTotalTimeout: timeoutMs };
      const tools = await Promise.race([
        (async () => {
          await client.connect(transport, requestOptions);
          const names: string[] = [];
          let cursor: string | undefined;
          for (let page = 0; page < maxToolPages; page++) {
            const listed = await client.listTools(cursor ? { cursor } : undefined, requestOptions);
            names.push(...listed.tools.map((tool) => tool.name));
            cursor = listed.nextCursor;
            if (!cursor) break;
          }
          return names;
        })(),
        deadline,
      ]);
      return { ok: true, latencyMs: elapsed(), tools };
    } catch (error) {
      return { ok: false, latencyMs: elapsed(), tools: [], error: redact(describeFailure(error, connection, stderr.text), connection) };
    } finally {
      clearTimeout(timer);
      // Closing a stdio transport ends the child (stdin closed, then SIGTERM, then SIGKILL).
      await client.close().catch(() => undefined);
      await transport?.close().catch(() => undefined);
      if (hungPid) killQuietly(hungPid);
    }
  }

  private async transportFor(connection: McpConnection, stderr: { text: string }): Promise<Transport> {
    switch (connection.type) {
      case 'stdio': {
        await mkdir(this.options.workDir, { recursive: true });
        const transport = new StdioClientTransport({
          command: connection.command,
          args: connection.args,
          env: childEnvironment(connection.env),
          cwd: this.options.workDir,
          stderr: 'pipe',
        });
        transport.stderr?.on('data', (chunk: Buffer) => {
          stderr.text = (stderr.text + chunk.toString('utf8')).slice(-stderrTail);
        });
        return transport;
      }
      case 'sse':
        await this.options.outbound.addressesOf(new URL(connection.url).hostname);
        return new SSEClientTransport(new URL(connection.url), { requestInit: { headers: connection.headers } });
      case 'http':
        await this.options.outbound.addressesOf(new URL(connection.url).hostname);
        return new StreamableHTTPClientTransport(new URL(connection.url), { requestInit: { headers: connection.headers } });
    }
  }
}

function killQuietly(pid: number) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Only the server's configured env plus PATH. The MCP client adds HOME, USER, SHELL... from this
 * process on its own; naming them undefined keeps them out (child_process skips undefined values).
 */
export function childEnvironment(configured: Record<string, string>): Record<string, string> {
  const env: Record<string, string | undefined> = Object.fromEntries(DEFAULT_INHERITED_ENV_VARS.map((key) => [key, undefined]));
  if (process.env.PATH !== undefined) env.PATH = process.env.PATH;
  return Object.assign(env, configured);
}

function describeFailure(error: unknown, connection: McpConnection, stderr: string): string {
  const e = error as { code?: unknown; message?: unknown; cause?: { message?: unknown } } | undefined;
  let message = typeof e?.message === 'string' ? e.message : String(error);
  // fetch() says only "fetch failed"; the reason (refused, DNS, TLS) is in its cause.
  if (typeof e?.cause?.message === 'string' && !message.includes(e.cause.message)) message = `${message}: ${e.cause.message}`;
  if (connection.type === 'stdio' && e?.code === 'ENOENT') message = `command not found: ${connection.command}`;
  else if (connection.type === 'stdio' && (e?.code === 'EACCES' || e?.code === 'ENOTDIR')) message = `command cannot be executed: ${connection.command}`;
  const lastLines = stderr.trim().split('\n').slice(-5).join('\n').trim();
  return lastLines ? `${message}; stderr: ${lastLines}` : message;
}

/** A failure message may echo a secret (a server printing its token, a URL with credentials): mask every configured value. */
function redact(message: string, connection: McpConnection): string {
  const secrets = Object.values(connection.type === 'stdio' ? connection.env : connection.headers).filter((value) => value.length >= 4);
  let text = message;
  for (const secret of secrets.sort((a, b) => b.length - a.length)) text = text.split(secret).join('********');
  return text.length > 1000 ? `${text.slice(0, 1000)}...` : text;
}
