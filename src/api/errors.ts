import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { DomainError, type ErrorCode } from '../domain/errors.ts';

const statusOf: Record<ErrorCode, number> = {
  VALIDATION_ERROR: 422,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  INVALID_TOKEN: 401,
  ACCOUNT_DISABLED: 403,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  SESSION_NOT_FOUND: 404,
  PERMISSION_REQUEST_NOT_FOUND: 404,
  PERMISSION_ALREADY_DECIDED: 409,
  EXECUTION_NOT_FOUND: 404,
  REPORT_NOT_FOUND: 404,
  TASK_INACTIVE: 409,
  EMAIL_TAKEN: 409,
  USERNAME_TAKEN: 409,
  INVALID_STATE_TRANSITION: 409,
  SESSION_BUSY: 409,
  SESSION_NOT_ACCEPTING: 409,
  QUOTA_EXCEEDED: 429,
  RATE_LIMITED: 429,
  AGENT_ERROR: 502,
  AGENT_CAPACITY: 503,
  SHUTTING_DOWN: 503,
  BUDGET_EXCEEDED: 402,
  MODEL_ERROR: 502,
  TURN_INTERRUPTED: 409,
  STORAGE_ERROR: 500,
  PATH_OUTSIDE_ROOT: 400,
  NOT_READY: 503,
  TEMPLATE_NOT_FOUND: 404,
  TASK_NOT_FOUND: 404,
  TEMPLATE_INVALID: 422,
  TEMPLATE_VARIABLE_MISSING: 422,
  TEMPLATE_RENDER_FAILED: 422,
  INVALID_SCHEDULE: 422,
  TRIGGER_TOKEN_INVALID: 401,
  WEBHOOK_SECRET_REQUIRED: 422,
  TEMPLATE_CREDENTIALS_PUBLIC: 422,
  MCP_SERVER_NOT_FOUND: 404,
  MCP_SERVER_NAME_TAKEN: 409,
  DATABASE_DSN_INVALID: 422,
  DATABASE_DSN_FORBIDDEN: 422,
  KUBECONFIG_INVALID: 422,
};

export const httpStatusOf = (code: ErrorCode) => statusOf[code];

export interface ErrorBody {
  detail: string;
  error_code: string;
  timestamp: string;
  request_id: string;
  errors?: unknown;
}

export function errorBody(request: FastifyRequest, code: string, detail: string, extra: Partial<ErrorBody> = {}): ErrorBody {
  return { detail, error_code: code, timestamp: new Date().toISOString(), request_id: String(request.id), ...extra };
}

/** Fastify's own client errors, by their codes, mapped to ours. */
const frameworkErrors: Record<string, [number, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'INVALID_JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'INVALID_JSON'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'PAYLOAD_TOO_LARGE'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'BAD_REQUEST'],
};

/** The one place where failures become HTTP responses. 5xx bodies say nothing of internals. */
export function registerErrorHandling(app: FastifyInstance) {
  // A JSON API: a text/plain body is the wrong media type (415), not a string that fails validation (422).
  // A route that really takes text adds its own parser in its own scope.
  app.removeContentTypeParser('text/plain');
  // PostgreSQL stores no NUL character in text or jsonb: such input would fail at the database as a 500.
  app.addHook('preValidation', async (request) => {
    for (const [location, value] of [['body', request.body], ['querystring', request.query], ['params', request.params]] as const) {
      if (containsNul(value)) throw new DomainError('VALIDATION_ERROR', `Invalid ${location}: text must not contain NUL (\\u0000) characters`);
    }
  });

  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof DomainError) {
      const status = statusOf[error.code];
      if (status >= 500 && status !== 503) request.log.error({ err: error }, 'request failed');
      const retryAfter = error.details?.retry_after_seconds;
      if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
      return reply.status(status).send(errorBody(request, error.code, error.message));
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const errors = error.validation.map((issue) => ({ location: error.validationContext, path: issue.instancePath, message: issue.message }));
      const first = errors[0];
      const detail = first ? `Invalid ${first.location}${first.path ? ` at ${first.path}` : ''}: ${first.message}` : 'Invalid request';
      return reply.status(422).send(errorBody(request, 'VALIDATION_ERROR', detail, { errors }));
    }
    const known = error.code ? frameworkErrors[error.code] : undefined;
    if (known) return reply.status(known[0]).send(errorBody(request, known[1], error.message));
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500 && !isResponseSerializationError(error)) {
      return reply.status(error.statusCode).send(errorBody(request, error.code ?? 'BAD_REQUEST', error.message));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send(errorBody(request, 'INTERNAL_ERROR', 'Internal server error'));
  });

  app.setNotFoundHandler((request, reply) => {
    return reply.status(404).send(errorBody(request, 'NOT_FOUND', `Route ${request.method} ${request.url.split('?')[0]} not found`));
  });
}

/** Any string, key or value, at any depth, holding U+0000. Iterative: a deeply nested body cannot overflow the stack. */
function containsNul(root: unknown): boolean {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return true;
    } else if (Array.isArray(value)) {
      for (const item of value as unknown[]) pending.push(item);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        if (key.includes('\u0000')) return true;
        pending.push(item);
      }
    }
  }
  return false;
}
