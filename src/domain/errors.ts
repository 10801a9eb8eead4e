/** Business-rule failures with stable codes. The API maps each code to one HTTP status. */
export const errorCodes = [
  'VALIDATION_ERROR',
  'UNAUTHENTICATED',
  'INVALID_CREDENTIALS',
  'INVALID_TOKEN',
  'ACCOUNT_DISABLED',
  'FORBIDDEN',
  'NOT_FOUND',
  'USER_NOT_FOUND',
  'SESSION_NOT_FOUND',
  'EMAIL_TAKEN',
  'USERNAME_TAKEN',
  'QUOTA_EXCEEDED',
  'RATE_LIMITED',
  'INVALID_STATE_TRANSITION',
  'SESSION_BUSY',
  'SESSION_NOT_ACCEPTING',
  'PERMISSION_REQUEST_NOT_FOUND',
  'PERMISSION_ALREADY_DECIDED',
  'EXECUTION_NOT_FOUND',
  'REPORT_NOT_FOUND',
  'TASK_INACTIVE',
  'AGENT_ERROR',
  'AGENT_CAPACITY',
  'SHUTTING_DOWN',
  'BUDGET_EXCEEDED',
  'MODEL_ERROR',
  'TURN_INTERRUPTED',
  'STORAGE_ERROR',
  'PATH_OUTSIDE_ROOT',
  'NOT_READY',
  'TEMPLATE_NOT_FOUND',
  'TASK_NOT_FOUND',
  'TEMPLATE_INVALID',
  'TEMPLATE_VARIABLE_MISSING',
  'TEMPLATE_RENDER_FAILED',
  'INVALID_SCHEDULE',
  'TRIGGER_TOKEN_INVALID',
  'WEBHOOK_SECRET_REQUIRED',
  'TEMPLATE_CREDENTIALS_PUBLIC',
  'MCP_SERVER_NOT_FOUND',
  'MCP_SERVER_NAME_TAKEN',
  'DATABASE_DSN_INVALID',
  'DATABASE_DSN_FORBIDDEN',
  'KUBECONFIG_INVALID',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** What went wrong, as text, whatever was thrown. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
