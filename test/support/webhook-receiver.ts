import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedHook {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/**
 * A webhook receiver on 127.0.0.1 that records every request. `answers` are the statuses it
 * gives, in order, per path; once they run out it answers 200.
 */
export async function startWebhookReceiver(host = '127.0.0.1') {
  const received = new Map<string, ReceivedHook[]>();
  const answers = new Map<string, number[]>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      const status = answers.get(path)?.shift() ?? 200;
      const list = received.get(path) ?? [];
      list.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      received.set(path, list);
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'not now');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    answer: (path: string, statuses: number[]) => answers.set(path, statuses),
    received: (path: string) => received.get(path) ?? [],
    /** Waits until `path` has had `count` requests. */
    async waitFor(path: string, count: number, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while ((received.get(path)?.length ?? 0) < count) {
        if (Date.now() > deadline) throw new Error(`${path} got ${received.get(path)?.length ?? 0} of ${count} webhook requests`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return received.get(path)!;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
