import type { SdkOptions } from '../domain/entities.ts';
import type { ToolCheck, ToolGate, ToolVerdict } from '../ports/agent-runtime.ts';
import type { Store } from '../ports/repositories.ts';

/** `Bash` matches Bash calls; `Bash(rm:*)`-style rules are left to the agent's own matcher. */
export function isDisallowed(toolName: string, disallowed: readonly string[]): boolean {
  return disallowed.some((rule) => rule === toolName || (rule.endsWith('*') && !rule.includes('(') && toolName.startsWith(rule.slice(0, -1))));
}

/**
 * The session's say over tools. The PreToolUse hook runs for every tool, whatever shortcuts the
 * agent takes (allowed lists, read-only Bash, acceptEdits), so a disallowed tool is refused there.
 */
export class SessionToolGate implements ToolGate {
  /** Tool uses refused by policy in this turn; the tool result that follows is recorded as denied. */
  readonly denied = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly session: { id: string; userId: string; options: SdkOptions },
    private readonly onDenied: (check: ToolCheck, reason: string) => Promise<void>,
  ) {}

  async preToolUse(check: ToolCheck): Promise<ToolVerdict> {
    await this.store.hookExecutions.insert({ sessionId: this.session.id, hookName: 'PreToolUse', toolName: check.toolName, toolUseId: check.toolUseId ?? null, details: { input: check.input } });
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

  async approve(check: ToolCheck): Promise<ToolVerdict> {
    // Without a human in the loop, the policy above is the whole decision.
    await this.record(check, 'allow', 'no approval required', 'policy');
    return { decision: 'allow' };
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
    await this.onDenied(check, reason);
    return { decision: 'deny', reason };
  }

  private async record(check: ToolCheck, decision: 'allow' | 'deny', reason: string, decidedBy: string) {
    await this.store.transaction(async (repos) => {
      await repos.permissionDecisions.insert({ sessionId: this.session.id, toolName: check.toolName, toolUseId: check.toolUseId ?? null, input: check.input, decision, reason, decidedBy });
      if (decision === 'deny') {
        await repos.audit.insert({
          eventType: 'tool.permission_denied',
          category: 'authorization',
          userId: this.session.userId,
          resourceType: 'session',
          resourceId: this.session.id,
          details: { tool_name: check.toolName, tool_use_id: check.toolUseId, reason, decided_by: decidedBy },
        });
      }
    });
  }
}
