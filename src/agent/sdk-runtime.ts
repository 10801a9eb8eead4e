import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { query, type HookCallback, type Options, type Query, type SDKUserMessage } from '@anthropic-ai/claude-agent-sdk';
import { settlesWithin } from '../domain/async.ts';
import { DomainError } from '../domain/errors.ts';
import type { AgentEvent, AgentHandle, AgentRuntime, AgentSpec, ToolGate, TurnOutcome } from '../ports/agent-runtime.ts';
import type { TranscriptRepository } from '../ports/repositories.ts';
import { agentEnvironment, tenantDirs, type ModelEndpoint } from './environment.ts';
import { builtinServers } from './builtin-tools.ts';
import { InputQueue } from './input-queue.ts';
import { RESUME_COPY_MAX_AGE_MS, sweepResumeCopies } from './leftovers.ts';
import { spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { openModelSocket } from './model-socket.ts';
import { AgentProcesses, killGroup } from './processes.ts';
import { bubblewrapArgs, SANDBOX_MODEL_SOCKET, writeSandboxEtc } from './sandbox.ts';
import { translate } from './translate.ts';
import { transcriptStore } from './transcript-store.ts';

export interface SdkRuntimeSettings {
  dataDir: string;
  endpoint: ModelEndpoint;
  defaultModel: string;
  maxRetries: number;
  transcripts: TranscriptRepository;
  log: { warn(obj: object, msg: string): void; debug(obj: object, msg: string): void };
  /** Confine each agent with bubblewrap: no network, none of the host's files but its own. */
  sandbox?: boolean;
}

export class SdkAgentRuntime implements AgentRuntime {
  readonly processes: AgentProcesses;
  private sandboxEtc: string | undefined;

  constructor(private readonly settings: SdkRuntimeSettings) {
    if (settings.sandbox && spawnSync('bwrap', ['--version']).status !== 0) {
      throw new Error('AGENTD_AGENT_SANDBOX=bwrap needs bubblewrap: install it (Debian: apt-get install bubblewrap) or set AGENTD_AGENT_SANDBOX=off');
    }
    this.processes = new AgentProcesses(path.join(settings.dataDir, 'run', 'agent-pids'), (line) => settings.log.debug({ line }, 'agent stderr'));
  }

  async open(spec: AgentSpec, gate: ToolGate): Promise<AgentHandle> {
    const dirs = tenantDirs(this.settings.dataDir, spec.userId);
    await mkdir(dirs.configDir, { recursive: true, mode: 0o700 });
    await mkdir(dirs.homeDir, { recursive: true, mode: 0o700 });
    const conversation = spec.conversation;
    let continuation: Partial<Options>;
    if (conversation.kind === 'new') continuation = { sessionId: conversation.id };
    else if (conversation.kind === 'resume') continuation = { resume: conversation.id };
    else continuation = { resume: conversation.fromId, forkSession: true, sessionId: conversation.id };
    const spawned: SpawnedChild = {};
    const o = spec.options;
    const permissionMode = o.permission_mode ?? 'default';
    const confinement = this.settings.sandbox ? await this.confine(spec.cwd, dirs) : undefined;
    spawned.release = confinement?.socket.close;
    const environment = agentEnvironment(confinement?.endpoint ?? this.settings.endpoint, dirs, { maxRetries: this.settings.maxRetries, bypassPermissions: permissionMode === 'bypassPermissions' });
    const options: Options = {
      ...continuation,
      cwd: spec.cwd,
      env: confinement ? { ...environment, ANTHROPIC_UNIX_SOCKET: SANDBOX_MODEL_SOCKET } : environment,
      settingSources: [],
      permissionMode,
      ...(permissionMode === 'bypassPermissions' ? { allowDangerouslySkipPermissions: true } : {}),
      model: o.model ?? this.settings.defaultModel,
      allowedTools: o.allowed_tools ?? [],
      disallowedTools: o.disallowed_tools ?? [],
      ...(o.max_turns ? { maxTurns: o.max_turns } : {}),
      // The agent counts a budget from its own start, so it gets what is left, not the whole.
      ...(spec.budgetUsd !== undefined ? { maxBudgetUsd: spec.budgetUsd } : {}),
      ...(o.system_prompt ? { systemPrompt: o.system_prompt } : {}),
      includePartialMessages: true,
      mcpServers: { ...spec.mcpServers, ...builtinServers(spec.sessionId, spec.builtins) },
      // Either way a turn's lines are stored before its result is yielded; eager also stores them as they
      // come, so a server killed mid-turn leaves the agent knowing what its tools already did.
      sessionStore: transcriptStore(this.settings.transcripts, this.settings.log),
      sessionStoreFlush: 'eager',
      canUseTool: async (toolName, input, { signal, toolUseID }) => {
        const verdict = await gate.approve({ toolName, toolUseId: toolUseID, input }, signal);
        return verdict.decision === 'allow' ? { behavior: 'allow', updatedInput: input } : { behavior: 'deny', message: verdict.reason };
      },
      hooks: hooksFor(gate),
      spawnClaudeCodeProcess: (request) => {
        // A resume gets a temporary config dir from the SDK (the transcript copied there): that one is bound.
        const mounts = confinement && { ...confinement.mounts, configDir: request.env.CLAUDE_CONFIG_DIR ?? confinement.mounts.configDir };
        const child = this.processes.spawn(mounts ? { ...request, command: 'bwrap', args: [...bubblewrapArgs(request.command, mounts), ...request.args] } : request);
        child.once('exit', () => spawned.release?.());
        return (spawned.child = child);
      },
      stderr: (line) => this.settings.log.debug({ line }, 'agent stderr'),
    };
    return new SdkAgentHandle(options, spawned, this.settings.log);
  }

  /** A model socket for one agent, and what its sandbox binds. */
  private async confine(cwd: string, dirs: { configDir: string; homeDir: string }) {
    const runDir = path.join(this.settings.dataDir, 'run');
    const socket = await openModelSocket(path.join(runDir, 'model-sockets'), this.settings.endpoint);
    this.sandboxEtc ??= writeSandboxEtc(path.join(runDir, 'sandbox-etc'));
    return {
      socket,
      // The agent holds a placeholder: the socket's server adds the real key.
      endpoint: { baseUrl: 'http://localhost', apiKey: 'held-by-agentd' },
      mounts: { cwd, configDir: dirs.configDir, homeDir: dirs.homeDir, modelSocket: socket.path, etcDir: this.sandboxEtc },
    };
  }

  livePids(): number[] {
    return this.processes.pids();
  }

  reapOrphans(): number {
    sweepResumeCopies(RESUME_COPY_MAX_AGE_MS);
    return this.processes.reapOrphans();
  }
}

function hooksFor(gate: ToolGate): Options['hooks'] {
  const pre: HookCallback = async (input, toolUseId) => {
    if (input.hook_event_name !== 'PreToolUse') return {};
    const verdict = await gate.preToolUse({ toolName: input.tool_name, toolUseId, input: asRecord(input.tool_input) });
    if (verdict.decision === 'allow') return {};
    return { hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: verdict.reason } };
  };
  const post: HookCallback = async (input, toolUseId) => {
    if (input.hook_event_name !== 'PostToolUse' && input.hook_event_name !== 'PostToolUseFailure') return {};
    await gate.postToolUse({ toolName: input.tool_name, toolUseId, input: asRecord(input.tool_input), failed: input.hook_event_name === 'PostToolUseFailure' });
    return {};
  };
  return { PreToolUse: [{ hooks: [pre] }], PostToolUse: [{ hooks: [post] }], PostToolUseFailure: [{ hooks: [post] }] };
}

const asRecord = (value: unknown): Record<string, unknown> => (value && typeof value === 'object' ? (value as Record<string, unknown>) : {});

const EXIT_GRACE_MS = 3000;
interface SpawnedChild {
  child?: ChildProcessWithoutNullStreams;
  /** Frees what the process needed beside itself (its model socket). */
  release?: (() => void) | undefined;
}

interface PendingTurn {
  onEvent: (event: AgentEvent) => Promise<void>;
  resolve: (outcome: TurnOutcome) => void;
  reject: (error: Error) => void;
}

/** One live agent process in streaming-input mode: many turns, one at a time. */
class SdkAgentHandle implements AgentHandle {
  private readonly input = new InputQueue<SDKUserMessage>();
  private readonly query: Query;
  private readonly reading: Promise<void>;
  private turn: PendingTurn | undefined;
  private ended = false;

  constructor(
    options: Options,
    private readonly spawned: SpawnedChild,
    private readonly log: SdkRuntimeSettings['log'],
  ) {
    this.query = query({ prompt: this.input, options });
    this.reading = this.read();
  }

  get alive() {
    return !this.ended;
  }

  runTurn(prompt: string, onEvent: (event: AgentEvent) => Promise<void>): Promise<TurnOutcome> {
    if (this.ended) return Promise.reject(new DomainError('AGENT_ERROR', 'The agent process has ended'));
    if (this.turn) return Promise.reject(new DomainError('SESSION_BUSY', 'A turn is already running'));
    return new Promise<TurnOutcome>((resolve, reject) => {
      this.turn = { onEvent, resolve, reject };
      this.input.push({ type: 'user', message: { role: 'user', content: prompt }, parent_tool_use_id: null, origin: { kind: 'human' } });
    });
  }

  async interrupt(): Promise<void> {
    if (!this.ended && this.turn) await this.query.interrupt();
  }

  /** Ends the process and every process it started; resolves when they are gone. */
  async close(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      this.input.end();
      this.query.close();
    }
    await this.reading;
    const child = this.spawned.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (!(await settlesWithin(exited, EXIT_GRACE_MS))) {
        killGroup(child.pid!, 'SIGKILL');
        await exited;
      }
    }
    // Tools the agent started (Bash, MCP servers) share its process group: none may outlive it.
    if (child?.pid) killGroup(child.pid, 'SIGKILL');
    this.spawned.release?.();
  }

  private async read() {
    let failure: Error | undefined;
    try {
      for await (const message of this.query) {
        for (const event of translate(message)) await this.deliver(event);
      }
    } catch (error) {
      // After an error result the SDK throws; the turn has its outcome already. Otherwise the process died.
      failure = error instanceof Error ? error : new Error(String(error));
      this.log.debug({ err: failure }, 'agent stream ended with an error');
    } finally {
      this.ended = true;
      this.turn?.reject(new DomainError('AGENT_ERROR', `The agent process ended during the turn${failure ? `: ${failure.message}` : ''}`));
      this.turn = undefined;
    }
  }

  private async deliver(event: AgentEvent) {
    const turn = this.turn;
    if (!turn) return;
    try {
      await turn.onEvent(event);
    } catch (error) {
      // Persisting failed: the turn cannot be trusted any more; stop the agent and report it.
      this.turn = undefined;
      turn.reject(error instanceof Error ? error : new Error(String(error)));
      this.ended = true;
      this.input.end();
      this.query.close();
      return;
    }
    if (event.kind === 'result') {
      this.turn = undefined;
      turn.resolve({ result: event });
    }
  }
}

