import path from 'node:path';

export interface ModelEndpoint {
  baseUrl: string;
  apiKey: string;
}

export interface TenantDirs {
  configDir: string;
  homeDir: string;
}

/** Each user's agents share one config dir (their transcripts) and one HOME, apart from other users'. */
export function tenantDirs(dataDir: string, userId: string): TenantDirs {
  const root = path.join(dataDir, 'agents', userId);
  return { configDir: path.join(root, 'config'), homeDir: path.join(root, 'home') };
}

/**
 * The agent's whole environment, built from an allow-list. The agent's tools run with this
 * environment, so nothing of the server's own (JWT secret, database and Redis URLs, admin
 * password) may appear here: never spread process.env.
 */
export function agentEnvironment(endpoint: ModelEndpoint, dirs: TenantDirs, options: { maxRetries: number; bypassPermissions: boolean }): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: dirs.homeDir,
    LANG: 'C.UTF-8',
    CLAUDE_CONFIG_DIR: dirs.configDir,
    ANTHROPIC_BASE_URL: endpoint.baseUrl,
    ANTHROPIC_API_KEY: endpoint.apiKey,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_MAX_RETRIES: String(options.maxRetries),
  };
  // The agent refuses bypassPermissions as root unless told it runs in a sandbox.
  if (options.bypassPermissions) env.IS_SANDBOX = '1';
  return env;
}
