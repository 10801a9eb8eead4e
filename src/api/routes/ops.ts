import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { errorBody } from '../errors.ts';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

const checkTimeoutMs = 2000;

function withTimeout(work: Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), checkTimeoutMs);
    work.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

export function opsRoutes(checks: ReadinessCheck[], metrics: Registry): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/health', {
      schema: { tags: ['operations'], summary: 'Liveness', response: { 200: z.object({ status: z.literal('ok') }) } },
      handler: async () => ({ status: 'ok' as const }),
    });

    app.get('/ready', {
      schema: { tags: ['operations'], summary: 'Readiness: database and (if configured) Redis reachable' },
      handler: async (request, reply) => {
        const results = await Promise.all(
          checks.map(async ({ name, check }) => {
            try {
              await withTimeout(check());
              return [name, 'ok'] as const;
            } catch (error) {
              request.log.warn({ err: error, check: name }, 'readiness check failed');
              return [name, 'unavailable'] as const;
            }
          }),
        );
        const status = Object.fromEntries(results);
        if (results.every(([, state]) => state === 'ok')) return { status: 'ready', checks: status };
        return reply.status(503).send({ ...errorBody(request, 'NOT_READY', 'A dependency is unavailable'), checks: status });
      },
    });

    app.get('/metrics', {
      schema: { tags: ['operations'], summary: 'Prometheus metrics' },
      handler: async (_request, reply) => reply.type(metrics.contentType).send(await metrics.metrics()),
    });
  };
}
