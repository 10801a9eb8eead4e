import type { Redis } from 'ioredis';
import type { Clock } from '../ports/clock.ts';
import type { RateDecision, RateLimit, RateLimiter } from '../ports/rate-limiter.ts';
import { decide, windowOf } from './windows.ts';

/**
 * Counters in Redis, shared by every server: one INCR per limit, the key expiring with its window.
 * When Redis does not answer, requests are let through (and the failure reported): a limit that
 * cannot be counted must not take the API down with it.
 */
export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly clock: Clock,
    private readonly failed: (error: unknown) => void,
  ) {}

  async hit(key: string, limits: readonly RateLimit[]): Promise<RateDecision> {
    const nowMs = this.clock.now().getTime();
    const transaction = this.redis.multi();
    for (const limit of limits) {
      const { index } = windowOf(limit, nowMs);
      const id = `${this.prefix}:ratelimit:${key}:${limit.windowSeconds}:${index}`;
      transaction.incr(id).expire(id, limit.windowSeconds + 1);
    }
    try {
      const results = (await transaction.exec()) ?? [];
      const counts = limits.map((_, i) => {
        const [error, count] = results[i * 2] ?? [new Error('no reply'), 0];
        if (error) throw error;
        return Number(count);
      });
      return decide(limits, counts, nowMs);
    } catch (error) {
      this.failed(error);
      return decide(limits, limits.map(() => 0), nowMs);
    }
  }
}
