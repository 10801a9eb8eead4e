import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export interface AgentSpawnRequest {
  command: string;
  args: string[];
  cwd?: string | undefined;
  env: Record<string, string | undefined>;
  signal: AbortSignal;
}

/**
 * Every agent process starts here and only here, so confinement (bwrap, another uid) can wrap
 * this one function later. The registry knows every live pid, for shutdown, tests and metrics.
 */
export class AgentProcesses {
  private readonly live = new Map<number, ChildProcessWithoutNullStreams>();

  constructor(private readonly onStderr: (line: string) => void = () => undefined) {}

  spawn = (request: AgentSpawnRequest): ChildProcessWithoutNullStreams => {
    const child = spawn(request.command, request.args, {
      cwd: request.cwd,
      env: request.env,
      stdio: 'pipe',
      signal: request.signal,
      // Its own process group: a kill reaches the tools it started (Bash, MCP servers) too.
      detached: true,
    });
    const pid = child.pid;
    if (pid !== undefined) {
      this.live.set(pid, child);
      child.once('exit', () => this.live.delete(pid));
    }
    child.on('error', () => undefined);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim()) this.onStderr(line);
    });
    return child;
  };

  pids(): number[] {
    return [...this.live.keys()];
  }

  /** Kills every process group still alive; used on shutdown. */
  killAll(signal: NodeJS.Signals = 'SIGKILL') {
    for (const pid of this.live.keys()) killGroup(pid, signal);
  }
}

export function killGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
