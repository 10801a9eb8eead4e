import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import path from 'node:path';
import type { ModelEndpoint } from './environment.ts';

/** Hop-by-hop and credential headers: never passed through; the proxy sets its own key. */
const dropped = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'proxy-authorization', 'authorization', 'x-api-key']);

export interface ModelSocket {
  /** The socket file on the host, to bind into the sandbox. */
  path: string;
  /** Stops serving and removes the file; safe to call more than once. */
  close: () => void;
}

/**
 * A confined agent has no network: it reaches the model through a unix socket, served here, that
 * forwards only `POST /v1/messages...` to the real endpoint with the real key. The agent holds a
 * placeholder key, so it cannot hand the real one to anything it runs.
 */
export function openModelSocket(dir: string, endpoint: ModelEndpoint): Promise<ModelSocket> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const socketPath = path.join(dir, `${randomUUID()}.sock`);
  const target = new URL(endpoint.baseUrl);
  const server = createServer((incoming, outgoing) => forward(incoming, outgoing, target, endpoint.apiKey));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      chmodSync(socketPath, 0o600);
      let open = true;
      resolve({
        path: socketPath,
        close: () => {
          if (!open) return;
          open = false;
          server.close();
          server.closeAllConnections();
          rmSync(socketPath, { force: true });
        },
      });
    });
  });
}

function forward(incoming: IncomingMessage, outgoing: ServerResponse, target: URL, apiKey: string) {
  const url = incoming.url ?? '/';
  if (incoming.method !== 'POST' || !url.startsWith('/v1/messages')) {
    outgoing.writeHead(404, { 'content-type': 'application/json' }).end('{"type":"error","error":{"type":"not_found_error","message":"only POST /v1/messages is served here"}}');
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming.headers)) if (value !== undefined && !dropped.has(name)) headers[name] = value;
  headers['x-api-key'] = apiKey;
  const base = target.pathname.replace(/\/$/, '');
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const upstream = send({ protocol: target.protocol, hostname: target.hostname, port: target.port, path: `${base}${url}`, method: 'POST', headers }, (response) => {
    outgoing.writeHead(response.statusCode ?? 502, response.headers);
    response.pipe(outgoing);
  });
  upstream.on('error', (error) => {
    if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'application/json' });
    outgoing.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: `model endpoint unreachable: ${error.message}` } }));
  });
  incoming.pipe(upstream);
}
