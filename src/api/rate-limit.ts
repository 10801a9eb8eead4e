import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.ts';
import type { Config } from '../config/config.ts';
import type { RateLimit, RateLimiter } from '../ports/rate-limiter.ts';

export interface RatePolicy {
  /** Per signed-in user, across every authenticated route. Empty: no limit. */
  user: readonly RateLimit[];
  /** Per client address, on the routes without a user (register, login, refresh, task triggers). */
  anonymous: readonly RateLimit[];
}

const limits = (...pairs: Array<[number, number]>): RateLimit[] => pairs.filter(([limit]) => limit > 0).map(([limit, windowSeconds]) => ({ limit, windowSeconds }));

/** The limits the configuration sets; 0 turns one off. */
export const ratePolicyOf = (config: Config): RatePolicy => ({
  user: limits([config.AGENTD_RATE_LIMIT_PER_MINUTE, 60], [config.AGENTD_RATE_LIMIT_PER_HOUR, 3600]),
  anonymous: limits([config.AGENTD_ANONYMOUS_RATE_LIMIT_PER_MINUTE, 60]),
});

declare module 'fastify' {
  interface FastifyInstance {
    rateGate: RateGate;
  }
}

const windowName = (seconds: number) => (seconds === 60 ? 'minute' : seconds === 3600 ? 'hour' : `${seconds} s`);

/** Counts each request against its caller's limits; over a limit: 429 RATE_LIMITED with Retry-After. */
export class RateGate {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly policy: RatePolicy,
  ) {}

  admitUser(userId: string, reply: FastifyReply): Promise<void> {
    return this.admit(`user:${userId}`, this.policy.user, reply);
  }

  admitAddress(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    return this.admit(`ip:${request.ip}`, this.policy.anonymous, reply);
  }

  private async admit(key: string, limits: readonly RateLimit[], reply: FastifyReply): Promise<void> {
    if (limits.length === 0) return;
    const decision = await this.limiter.hit(key, limits);
    void reply.header('x-ratelimit-limit', String(decision.limit)).header('x-ratelimit-remaining', String(decision.remaining)).header('x-ratelimit-reset', String(decision.resetSeconds));
    if (!decision.allowed) {
      throw new DomainError('RATE_LIMITED', `Too many requests: at most ${decision.limit} per ${windowName(decision.windowSeconds)}; try again in ${decision.resetSeconds} s`, {
        retry_after_seconds: decision.resetSeconds,
      });
    }
  }
}

/** Makes the gate reachable from every route (`request.server.rateGate`). Register before the routes. */
export function registerRateLimits(app: FastifyInstance, gate: RateGate): void {
  app.decorate('rateGate', gate);
}

/** A preHandler for routes without a user: counts the request against its address. */
export const limitByAddress = async (request: FastifyRequest, reply: FastifyReply) => request.server.rateGate.admitAddress(request, reply);
