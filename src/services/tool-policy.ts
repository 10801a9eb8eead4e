import type { SdkOptions } from '../domain/entities.ts';
import type { ToolCheck, ToolGate, ToolVerdict } from '../ports/agent-runtime.ts';
import type { Store } from '../ports/repositories.ts';
import type { ApprovalBroker } from './agents/approvals.ts';

/** `Bash` matches Bash calls; `mcp__db__*` matches a prefix; `Bash(rm:*)`-style rules are left to the agent's own matcher. */
export function isDisallowed(toolName: string, disallowed: readonly string[]): boolean {
  return disallowed.some((rule) => rule === toolName || (rule.endsWith('*') && !rule.includes('(') && toolName.startsWith(rule.slice(0, -1))));
}

/** What the session service does when the gate refuses a tool or waits for a human. */
export interface GateEvents {
  denied(check: ToolCheck, reason: string): Promise<void>;
  waiting(requestId: string, check: ToolCheck): Promise<void>;
  decided(requestId: string, check: ToolCheck, decision: 'allow' | 'deny', decidedBy: string): Promise<void>;
}

/**
 * The session's say over tools. The PreToolUse hook runs for every tool, whatever shortcuts the
 * agent takes (allowed lists, read-only Bash, acceptEdits), so a disallowed tool is refused there.
 * Tools the agent asks about go to a human when the session's approval_mode is interactive.
 */
export class SessionToolGate implements ToolGate {
  /** Tool uses refused in this process; the tool result that follows is recorded as denied. */
  readonly denied = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly session: { id: string; userId: string; options: SdkOptions },
    private readonly approvals: ApprovalBroker,
    private readonly events: GateEvents,
  ) {}

  async preToolUse(check: ToolCheck): Promise<ToolVerdict> {
    await this.store.transaction(async (repos) => {
      await repos.hookExecutions.insert({ sessionId: this.session.id, hookName: 'PreToolUse', toolName: check.toolName, toolUseId: check.toolUseId ?? null, details: { input: check.input } });
      await repos.audit.insert({
        eventType: 'tool.used',
        category: 'tool',
        userId: this.session.userId,
        resourceType: 'session',
        resourceId: this.session.id,
        details: { tool_name: check.toolName, tool_use_id: check.toolUseId },
      });
    });
    if (isDisallowed(check.toolName, this.session.options.disallowed_tools ?? [])) {
      return this.deny(check, `${check.toolName} is disallowed for this session`, 'policy');
    }
    return { decision: 'allow' };
  }

  /**
   * A tool listed in disallowed_tools is removed from the agent, so a call to it fails before
   * any hook runs. It is still a refusal by policy, and is recorded as one.
   */
  async refuseIfDisallowed(check: ToolCheck): Promise<boolean> {
    if (!isDisallowed(check.toolName, this.session.options.disallowed_tools ?? [])) return false;
    if (!check.toolUseId || !this.denied.has(check.toolUseId)) await this.deny(check, `${check.toolName} is disallowed for this session`, 'policy');
    return true;
  }

  async approve(check: ToolCheck, signal: AbortSignal): Promise<ToolVerdict> {
    if (this.session.options.approval_mode !== 'interactive') {
      // Without a human in the loop, the policy checked in PreToolUse is the whole decision.
      await this.record(check, 'allow', 'no approval required', 'policy');
      return { decision: 'allow' };
    }
    let announced: string | undefined;
    const outcome = await this.approvals.request(this.session.id, signal, async (requestId) => {
      announced = requestId;
      await this.events.waiting(requestId, check);
    });
    if (outcome.decision === 'deny') {
      if (check.toolUseId) this.denied.add(check.toolUseId);
      await this.record(check, 'deny', outcome.reason, outcome.decidedBy);
    } else {
      await this.record(check, 'allow', outcome.reason, outcome.decidedBy);
    }
    if (announced) await this.events.decided(announced, check, outcome.decision, outcome.decidedBy);
    return outcome.decision === 'allow' ? { decision: 'allow' } : { decision: 'deny', reason: outcome.reason };
  }

  async postToolUse(check: ToolCheck & { failed: boolean }): Promise<void> {
    await this.store.hookExecutions.insert({
      sessionId: this.session.id,
      hookName: check.failed ? 'PostToolUseFailure' : 'PostToolUse',
      toolName: check.toolName,
      toolUseId: check.toolUseId ?? null,
      details: {},
    });
  }

  private async deny(check: ToolCheck, reason: string, decidedBy: string): Promise<ToolVerdict> {
    if (check.toolUseId) this.denied.add(check.toolUseId);
    await this.record(check, 'deny', reason, decidedBy);
    await this.events.denied(check, reason);
    return { decision: 'deny', reason };
  }

  private async record(check: ToolCheck, decision: 'allow' | 'deny', reason: string, decidedBy: string) {
    await this.store.transaction(async (repos) => {
      await repos.permissionDecisions.insert({ sessionId: this.session.id, toolName: check.toolName, toolUseId: check.toolUseId ?? null, input: check.input, decision, reason, decidedBy });
      await repos.audit.insert({
        eventType: decision === 'deny' ? 'tool.permission_denied' : 'tool.permission_granted',
        category: 'authorization',
        userId: this.session.userId,
        resourceType: 'session',
        resourceId: this.session.id,
        details: { tool_name: check.toolName, tool_use_id: check.toolUseId, reason, decided_by: decidedBy },
      });
    });
  }
}
