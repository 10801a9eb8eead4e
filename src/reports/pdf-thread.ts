import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ReportDocument } from './document.ts';

/**
 * The code a worker thread starts with. On Node 20 a worker inherits neither tsx's `--import`
 * loader nor hooks registered on the main thread (agentd runs its TypeScript through tsx), so the
 * thread registers tsx itself (its ESM API, found through tsx's own exports map), then loads the
 * worker module.
 */
function bootstrap(): string {
  const require = createRequire(import.meta.url);
  const manifest = require('tsx/package.json') as { exports: Record<string, { import: { default: string } }> };
  const api = manifest.exports['./esm/api']?.import.default;
  if (!api) throw new Error('tsx has no ./esm/api export');
  const tsx = pathToFileURL(path.join(path.dirname(require.resolve('tsx/package.json')), api)).href;
  const worker = new URL('./pdf-worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(worker)}); });`;
}

type Reply = { id: number; bytes: Uint8Array } | { id: number; error: string };

/**
 * Renders PDFs on one worker thread. Laying out a PDF is synchronous CPU work (about 0.5 s for
 * 200 messages, 6 s for 2,000): on the main thread it would stall every request and stream of
 * the server. Documents queue on the one thread, so PDF work takes at most one core. The thread
 * starts on the first PDF and stops after `idleMs` without one.
 */
export class PdfThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { resolve: (bytes: Uint8Array) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly idleMs = 60_000,
    /** With documents queued, this long without any finishing means the thread is stuck: it is stopped, its queue failed. */
    private readonly stallMs = 120_000,
  ) {}

  render(doc: ReportDocument): Promise<Uint8Array> {
    const worker = this.start();
    const id = this.nextId++;
    clearTimeout(this.idleTimer);
    worker.ref();
    if (this.pending.size === 0) this.watch(worker);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, doc });
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    clearTimeout(this.stallTimer);
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(new Error('The PDF renderer was closed'));
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(bootstrap(), { eval: true });
    worker.on('message', (reply: Reply) => this.settle(reply));
    worker.on('error', (error) => this.stopped(worker, error));
    worker.on('exit', (code) => this.stopped(worker, new Error(`The PDF renderer stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private settle(reply: Reply) {
    const job = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if ('error' in reply) job?.reject(new Error(`PDF rendering failed: ${reply.error}`));
    else job?.resolve(reply.bytes);
    if (this.worker && this.pending.size > 0) this.watch(this.worker);
    if (this.pending.size === 0) {
      clearTimeout(this.stallTimer);
      // Idle: the thread no longer keeps the process alive, and goes after a while.
      this.worker?.unref();
      this.idleTimer = setTimeout(() => void this.close(), this.idleMs);
      this.idleTimer.unref();
    }
  }

  /** (Re)starts the stall watch: one document must finish within stallMs. */
  private watch(worker: Worker) {
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => {
      this.stopped(worker, new Error(`The PDF renderer was stopped: no document finished within ${this.stallMs} ms`));
      void worker.terminate();
    }, this.stallMs);
    this.stallTimer.unref();
  }

  /** A thread that died takes its queue with it; the next PDF starts a new one. */
  private stopped(worker: Worker, error: Error) {
    if (this.worker !== worker) return;
    this.worker = undefined;
    clearTimeout(this.stallTimer);
    this.failAll(error);
  }

  private failAll(error: Error) {
    for (const job of this.pending.values()) job.reject(error);
    this.pending.clear();
  }
}
