import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface AgentSpawnRequest {
  command: string;
  args: string[];
  cwd?: string | undefined;
  env: Record<string, string | undefined>;
  signal: AbortSignal;
}

/**
 * Every agent process starts here and only here, so confinement (bwrap, another uid) can wrap
 * this one function later. Each live pid is known in memory (shutdown, tests, metrics) and on
 * disk, so a server that was killed can reap what it left behind when it starts again.
 */
export class AgentProcesses {
  private readonly live = new Map<number, ChildProcessWithoutNullStreams>();

  constructor(
    private readonly pidDir: string,
    private readonly onStderr: (line: string) => void = () => undefined,
  ) {
    mkdirSync(pidDir, { recursive: true });
  }

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
      const pidFile = path.join(this.pidDir, String(pid));
      writeFileSync(pidFile, request.command);
      child.once('exit', () => {
        this.live.delete(pid);
        rmSync(pidFile, { force: true });
      });
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

  /**
   * Kills the process groups of agents a previous server left running (it crashed or was
   * killed). A recorded pid counts only while it still runs the recorded command, so a pid
   * the system has since given to something else is left alone.
   */
  reapOrphans(): number {
    let reaped = 0;
    for (const name of readdirSync(this.pidDir)) {
      const pid = Number(name);
      const file = path.join(this.pidDir, name);
      if (!Number.isInteger(pid) || this.live.has(pid)) continue;
      const command = readFileSync(file, 'utf8');
      const leaderIsOurs = commandLineOf(pid)?.startsWith(command) ?? false;
      const members = groupMembers(pid);
      if (leaderIsOurs || (commandLineOf(pid) === undefined && members.length > 0)) {
        killGroup(pid, 'SIGKILL');
        reaped += 1;
      }
      rmSync(file, { force: true });
    }
    return reaped;
  }
}

function commandLineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

/** Processes whose process group is `pgid` (Linux /proc). */
function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command name, which is in parentheses and may contain spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) members.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return members;
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
