/** At most `limit` requests in each fixed window of `windowSeconds`. */
export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

export interface RateDecision {
  allowed: boolean;
  /** The limit that binds now: the one exceeded, or the one with the fewest requests left. */
  limit: number;
  windowSeconds: number;
  remaining: number;
  /** Seconds until that limit's window starts again. */
  resetSeconds: number;
}

/** Counts requests per key, against several limits at once (per minute, per hour). */
export interface RateLimiter {
  /** Counts one request for `key` and says whether it is within every limit. */
  hit(key: string, limits: readonly RateLimit[]): Promise<RateDecision>;
}
