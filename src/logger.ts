import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';

/** JSON logs; secrets that may pass through request objects are redacted. */
export function createLogger(level: string): FastifyBaseLogger {
  return pino({
    level,
    redact: { paths: ['req.headers.authorization', '*.password', '*.refresh_token', '*.access_token'], censor: '[redacted]' },
  });
}
