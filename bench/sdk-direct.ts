/** The baseline: one agent process driven straight through the SDK in streaming-input mode. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { query, type Options, type Query, type SDKResultMessage, type SDKUserMessage } from '@anthropic-ai/claude-agent-sdk';
import { agentEnvironment } from '../src/agent/environment.ts';
import { InputQueue } from '../src/agent/input-queue.ts';

/** The options agentd gives its agents, minus its policy hooks (none fire on a plain text turn). */
export async function sdkOptions(root: string, cwd: string, modelUrl: string): Promise<Options> {
  await mkdir(path.join(root, 'cfg'), { recursive: true });
  await mkdir(cwd, { recursive: true });
  return {
    cwd,
    env: agentEnvironment({ baseUrl: modelUrl, apiKey: 'scripted' }, { configDir: path.join(root, 'cfg'), homeDir: root }, { maxRetries: 0, bypassPermissions: false }),
    settingSources: [],
    permissionMode: 'default',
    model: 'claude-sonnet-4-5',
    includePartialMessages: true,
  };
}

interface Waiter {
  resolve: (result: SDKResultMessage) => void;
  reject: (error: Error) => void;
}

export interface TurnTiming {
  ms: number;
  result: SDKResultMessage;
}

/** One live agent process; `turn()` sends a message and resolves on its `result`. */
export class SdkSession {
  private readonly inbox = new InputQueue<SDKUserMessage>();
  private readonly q: Query;
  private readonly reading: Promise<void>;
  private waiter: Waiter | undefined;
  private failure: Error | undefined;
  private closed = false;

  constructor(options: Options) {
    this.q = query({ prompt: this.inbox, options });
    this.reading = this.read();
  }

  async turn(text: string, timeoutMs = 60_000): Promise<TurnTiming> {
    if (this.failure) throw this.failure;
    if (this.waiter) throw new Error('a turn is already running');
    const started = performance.now();
    const done = new Promise<SDKResultMessage>((resolve, reject) => (this.waiter = { resolve, reject }));
    this.inbox.push({ type: 'user', message: { role: 'user', content: text }, parent_tool_use_id: null });
    const result = await withTimeout(done, timeoutMs, `SDK turn "${text.slice(0, 30)}"`);
    const elapsed = performance.now() - started;
    if (result.is_error) throw new Error(`SDK turn failed: ${result.subtype}`);
    return { ms: elapsed, result };
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.inbox.end();
      this.q.close();
    }
    await withTimeout(this.reading, 10_000, 'SDK close').catch(() => undefined);
  }

  private async read() {
    try {
      for await (const message of this.q) {
        if (message.type === 'result') {
          const waiter = this.waiter;
          this.waiter = undefined;
          waiter?.resolve(message);
        }
      }
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
    } finally {
      this.failure ??= new Error('the agent process ended');
      this.waiter?.reject(this.failure);
      this.waiter = undefined;
    }
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
