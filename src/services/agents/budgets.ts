import type { Session } from '../../domain/entities.ts';
import { DomainError } from '../../domain/errors.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Store } from '../../ports/repositories.ts';

/**
 * Spending limits: a session's `max_budget_usd` and a user's daily budget (UTC days). A turn that
 * would start over either is refused; the agent itself stops one that crosses what is left.
 */
export class BudgetPolicy {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly dailyUserUsd: number | undefined,
  ) {}

  async assertCanStart(session: Session): Promise<void> {
    const sessionBudget = session.sdkOptions.max_budget_usd;
    if (sessionBudget !== undefined && session.totalCostUsd >= sessionBudget) {
      throw new DomainError('BUDGET_EXCEEDED', `The session has used its budget of $${sessionBudget} ($${session.totalCostUsd.toFixed(4)} spent)`);
    }
    if (this.dailyUserUsd !== undefined) {
      const spent = await this.spentToday(session.userId);
      if (spent >= this.dailyUserUsd) {
        throw new DomainError('BUDGET_EXCEEDED', `Today's budget of $${this.dailyUserUsd} is used ($${spent.toFixed(4)} spent); it resets at 00:00 UTC`);
      }
    }
  }

  /** USD the session may still spend, the tighter of its own budget and its user's day; undefined: no limit. */
  async remaining(session: Session): Promise<number | undefined> {
    const limits: number[] = [];
    if (session.sdkOptions.max_budget_usd !== undefined) limits.push(session.sdkOptions.max_budget_usd - session.totalCostUsd);
    if (this.dailyUserUsd !== undefined) limits.push(this.dailyUserUsd - (await this.spentToday(session.userId)));
    return limits.length > 0 ? Math.max(0, Math.min(...limits)) : undefined;
  }

  private spentToday(userId: string): Promise<number> {
    const midnight = new Date(this.clock.now());
    midnight.setUTCHours(0, 0, 0, 0);
    return this.store.messages.costSince(userId, midnight);
  }
}
