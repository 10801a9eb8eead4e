import type { RateDecision, RateLimit } from '../ports/rate-limiter.ts';

/** The fixed window of `limit` that `nowMs` falls in: its number, and the seconds until it ends. */
export function windowOf(limit: RateLimit, nowMs: number): { index: number; endsInSeconds: number } {
  const windowMs = limit.windowSeconds * 1000;
  const index = Math.floor(nowMs / windowMs);
  return { index, endsInSeconds: Math.max(1, Math.ceil(((index + 1) * windowMs - nowMs) / 1000)) };
}

/**
 * Given the count of each limit's current window (this request included), the decision. When
 * limits are exceeded, the binding one is the exceeded one that resets last (the caller must wait
 * for it); otherwise the one with the fewest requests left.
 */
export function decide(limits: readonly RateLimit[], counts: readonly number[], nowMs: number): RateDecision {
  const states = limits.map((limit, i) => ({ limit, remaining: limit.limit - (counts[i] ?? 0), resetSeconds: windowOf(limit, nowMs).endsInSeconds }));
  const exceeded = states.filter((state) => state.remaining < 0);
  const pick = exceeded.length > 0 ? exceeded.reduce((a, b) => (b.resetSeconds > a.resetSeconds ? b : a)) : states.reduce((a, b) => (b.remaining < a.remaining ? b : a));
  return {
    allowed: exceeded.length === 0,
    limit: pick.limit.limit,
    windowSeconds: pick.limit.windowSeconds,
    remaining: Math.max(0, pick.remaining),
    resetSeconds: pick.resetSeconds,
  };
}
