/** Small helpers shared by the benchmark scripts (bench/run.ts, bench/pool.ts). */
import { readFile } from 'node:fs/promises';
import os from 'node:os';

/** A positive integer from the environment, or the fallback. */
export const count = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  return Number.isInteger(value) && value > 0 ? value : fallback;
};

/** Progress goes to stderr, so stdout holds only the report. */
export const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

export const loadAverage = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** A rotation of the sides, so no side always runs first (or right after a given other side). */
export const rotate = <T>(items: readonly T[], by: number): T[] => items.map((_, i) => items[(i + by) % items.length]!);

export function expectEcho(content: string, prompt: string) {
  const expected = `echo: ${prompt}`;
  if (content !== expected) throw new Error(`unexpected reply ${JSON.stringify(content.slice(0, 80))}, wanted ${JSON.stringify(expected.slice(0, 80))}`);
}

/** One line describing the machine and the load on it, for the report. */
export async function machine(): Promise<string> {
  const cpus = os.cpus();
  const sdkVersion = await readFile(new URL('../node_modules/@anthropic-ai/claude-agent-sdk/package.json', import.meta.url), 'utf8')
    .then((text) => (JSON.parse(text) as { version: string }).version)
    .catch(() => '?');
  return `${cpus.length} cores (${cpus[0]?.model.trim() ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}, claude-agent-sdk ${sdkVersion}; load average at the end ${loadAverage()}`;
}

/** Runs one clean-up step, reporting (not throwing) a failure, and giving up after 15 s. */
export async function closeStep(what: string, work: () => Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work(), new Promise((resolve) => (timer = setTimeout(resolve, 15_000)))])
    .catch((error: unknown) => progress(`closing ${what} failed: ${String(error)}`))
    .finally(() => clearTimeout(timer));
}
