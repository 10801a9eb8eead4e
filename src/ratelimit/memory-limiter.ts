import type { Clock } from '../ports/clock.ts';
import type { RateDecision, RateLimit, RateLimiter } from '../ports/rate-limiter.ts';
import { decide, windowOf } from './windows.ts';

/** Counters in this process: for a single server (several servers count through Redis). */
export class MemoryRateLimiter implements RateLimiter {
  private readonly counters = new Map<string, { count: number; endsAtMs: number }>();
  private nextSweepMs = 0;

  constructor(private readonly clock: Clock) {}

  async hit(key: string, limits: readonly RateLimit[]): Promise<RateDecision> {
    const nowMs = this.clock.now().getTime();
    this.sweep(nowMs);
    const counts = limits.map((limit) => {
      const { index, endsInSeconds } = windowOf(limit, nowMs);
      const id = `${key}|${limit.windowSeconds}|${index}`;
      const counter = this.counters.get(id) ?? { count: 0, endsAtMs: nowMs + endsInSeconds * 1000 };
      counter.count += 1;
      this.counters.set(id, counter);
      return counter.count;
    });
    return decide(limits, counts, nowMs);
  }

  /** Drops the counters of windows that have ended, at most once a second. */
  private sweep(nowMs: number): void {
    if (nowMs < this.nextSweepMs) return;
    this.nextSweepMs = nowMs + 1000;
    for (const [id, counter] of this.counters) if (counter.endsAtMs <= nowMs) this.counters.delete(id);
  }
}
