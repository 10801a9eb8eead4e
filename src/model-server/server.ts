// An Anthropic-compatible Messages API on localhost whose replies follow the
// directive script in the prompt (see script.ts), so the real agent binary can
// run fully offline in development and tests.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { buildMessage, errorBody, formatSse, randomId, streamEvents, tokensFor, type ContentBlock } from './encode.ts';
import { planReply, type Reply } from './script.ts';

export interface RecordedRequest {
  at: number;
  sessionId: string | undefined;
  // The API promises the parsed body as-is; callers inspect whatever they need.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  promptText: string;
}

export interface ModelServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

export async function startModelServer(options: { port?: number; host?: string } = {}): Promise<ModelServer> {
  const host = options.host ?? '127.0.0.1';
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    handle(req, res, requests).catch((error: unknown) => fail(res, error));
  });
  // Keep-alive sockets would hold close() open until they time out.
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    requests,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, requests: RecordedRequest[]): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/_scripted/requests' && req.method === 'GET') return sendJson(res, 200, requests);
  if (path === '/_scripted/requests' && req.method === 'DELETE') {
    // Cleared in place: holders of server.requests keep a live view.
    requests.length = 0;
    res.writeHead(204).end();
    return;
  }
  if (path !== '/v1/messages' || req.method !== 'POST') {
    return sendJson(res, 404, errorBody(404, `no route ${req.method ?? ''} ${path ?? ''} on the scripted model server`));
  }
  const raw = await readBody(req);
  if (raw === undefined) return sendJson(res, 413, errorBody(413, 'request body too large'));
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return sendJson(res, 400, errorBody(400, 'request body is not valid JSON'));
  }
  const plan = planReply(body);
  const session = req.headers['x-claude-code-session-id'];
  requests.push({ at: Date.now(), sessionId: typeof session === 'string' ? session : undefined, body, promptText: plan.promptText });
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const model = typeof fields.model === 'string' ? fields.model : 'scripted';
  await reply(res, plan.reply, { model, stream: fields.stream === true, inputTokens: tokensFor(raw.length) });
}

interface ReplyContext {
  model: string;
  stream: boolean;
  inputTokens: number;
}

async function reply(res: http.ServerResponse, plan: Reply, context: ReplyContext): Promise<void> {
  if (plan.kind === 'error') {
    if (!(await pause(res, plan.delayMs))) return;
    return sendJson(res, plan.status, errorBody(plan.status, plan.message));
  }
  // A cut step always fails, including the binary's non-streaming fallback.
  if (plan.kind === 'cut' && !context.stream) {
    res.destroy();
    return;
  }
  const block: ContentBlock =
    plan.kind === 'tool'
      ? { type: 'tool_use', id: randomId('toolu_'), name: plan.name, input: plan.input }
      : { type: 'text', text: plan.kind === 'text' ? plan.text : 'this reply is cut off before it ends' };
  const message = buildMessage(context.model, block, context.inputTokens);
  if (!context.stream) {
    if (!(await pause(res, plan.delayMs))) return;
    return sendJson(res, 200, message);
  }
  const [start, ...rest] = streamEvents(message);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'request-id': randomId('req_'),
  });
  if (start) res.write(formatSse(start));
  if (!(await pause(res, plan.delayMs))) return;
  // Cut: message_start, the block's start and one delta, then the socket dies.
  const events = plan.kind === 'cut' ? rest.slice(0, 2) : rest;
  for (const event of events) res.write(formatSse(event));
  if (plan.kind === 'cut') {
    // Let the partial events reach the client before the connection drops.
    await new Promise<void>((resolve) => res.write('', () => resolve()));
    res.destroy();
    return;
  }
  res.end();
}

// Resolves false when the client went away during the pause.
function pause(res: http.ServerResponse, ms: number): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!res.destroyed);
  return new Promise((resolve) => {
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(!res.destroyed);
    }, ms);
    res.once('close', onClose);
  });
}

function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'request-id': randomId('req_') });
  res.end(text);
}

function fail(res: http.ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, 500, errorBody(500, `scripted model server failed: ${(error as Error)?.message ?? String(error)}`));
}
