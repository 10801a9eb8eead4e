/**
 * Memory of agent processes, read from Linux /proc: VmRSS from /proc/<pid>/status, Pss and
 * Private_* from /proc/<pid>/smaps_rollup. Reads are asynchronous (libuv's thread pool), so
 * sampling does not stall agentd's event loop, which shares this process.
 */
import { readdir, readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

/** One process at one moment, in KiB. */
export interface ProcMemory {
  pid: number;
  /** Resident set: every page mapped, shared ones counted in full. */
  rssKb: number;
  /** Proportional set: shared pages divided among the processes that map them. */
  pssKb: number;
  /** Pages mapped by this process alone (Private_Clean + Private_Dirty). */
  privateKb: number;
  /** Private_Dirty: anonymous memory (heap, stacks) nothing else can share: what one more agent costs. */
  privateDirtyKb: number;
}

export interface MemoryTotals {
  processes: number;
  rssKb: number;
  pssKb: number;
  privateKb: number;
  privateDirtyKb: number;
}

const field = (text: string, name: string): number => {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) : NaN;
};

/** The process's memory now, or undefined if it is gone (or /proc is unreadable). */
export async function readProcMemory(pid: number): Promise<ProcMemory | undefined> {
  try {
    const [status, rollup] = await Promise.all([readFile(`/proc/${pid}/status`, 'utf8'), readFile(`/proc/${pid}/smaps_rollup`, 'utf8')]);
    const privateDirtyKb = field(rollup, 'Private_Dirty');
    const memory = { pid, rssKb: field(status, 'VmRSS'), pssKb: field(rollup, 'Pss'), privateKb: field(rollup, 'Private_Clean') + privateDirtyKb, privateDirtyKb };
    // A zombie (exited, not yet reaped) has no VmRSS and an empty rollup.
    return Number.isFinite(memory.rssKb) && Number.isFinite(memory.pssKb) ? memory : undefined;
  } catch {
    return undefined;
  }
}

export const sumMemory = (list: readonly ProcMemory[]): MemoryTotals => ({
  processes: list.length,
  rssKb: list.reduce((sum, m) => sum + m.rssKb, 0),
  pssKb: list.reduce((sum, m) => sum + m.pssKb, 0),
  privateKb: list.reduce((sum, m) => sum + m.privateKb, 0),
  privateDirtyKb: list.reduce((sum, m) => sum + m.privateDirtyKb, 0),
});

export async function readAll(pids: readonly number[]): Promise<ProcMemory[]> {
  return (await Promise.all(pids.map(readProcMemory))).filter((m): m is ProcMemory => m !== undefined);
}

/**
 * Agent binaries that are children of this process, found in /proc independently of agentd's own
 * bookkeeping (`livePids()`): a process agentd lost track of still shows up here.
 */
export async function agentChildren(parent = process.pid): Promise<number[]> {
  const found: number[] = [];
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return found;
  }
  await Promise.all(
    entries
      .filter((entry) => /^\d+$/.test(entry))
      .map(async (entry) => {
        try {
          const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
          // "pid (comm) state ppid ...": the command name may contain spaces and parentheses.
          const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          if (Number(ppid) === parent && comm === 'claude' && state !== 'Z') found.push(Number(entry));
        } catch {
          // gone meanwhile
        }
      }),
  );
  return found;
}

export interface MemorySample extends MemoryTotals {
  atMs: number;
}

/**
 * Samples, until stopped: how many agent processes are live (cheap, every `countEveryMs`), and
 * their memory plus the agent children seen in /proc (every `memoryEveryMs`).
 */
export class MemorySampler {
  readonly samples: MemorySample[] = [];
  /** Each process's highest reading, by pid. */
  readonly peakByPid = new Map<number, ProcMemory>();
  maxLive = 0;
  maxChildren = 0;
  private readonly started = performance.now();
  private readonly counter: NodeJS.Timeout;
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly livePids: () => number[],
    private readonly memoryEveryMs = 500,
    countEveryMs = 25,
  ) {
    this.counter = setInterval(() => (this.maxLive = Math.max(this.maxLive, this.livePids().length)), countEveryMs);
    this.loop = this.run();
  }

  private async run() {
    while (this.running) {
      await this.sampleNow();
      await new Promise((resolve) => setTimeout(resolve, this.memoryEveryMs));
    }
  }

  /** Takes one memory sample now (also called by the bench at moments that matter). */
  async sampleNow(): Promise<MemorySample> {
    const pids = this.livePids();
    this.maxLive = Math.max(this.maxLive, pids.length);
    const [memory, children] = await Promise.all([readAll(pids), agentChildren()]);
    this.maxChildren = Math.max(this.maxChildren, children.length);
    for (const m of memory) {
      const peak = this.peakByPid.get(m.pid);
      if (!peak || m.pssKb > peak.pssKb) this.peakByPid.set(m.pid, m);
    }
    const sample = { atMs: performance.now() - this.started, ...sumMemory(memory) };
    this.samples.push(sample);
    return sample;
  }

  /** The sample with the most proportional memory (the "peak" of the run). */
  peak(): MemorySample | undefined {
    return this.samples.reduce<MemorySample | undefined>((best, s) => (!best || s.pssKb > best.pssKb ? s : best), undefined);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.counter);
    await this.loop;
  }
}

export const mib = (kb: number, digits = 1) => (Number.isFinite(kb) ? (kb / 1024).toFixed(digits) : '-');
