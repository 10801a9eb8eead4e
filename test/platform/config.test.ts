import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.ts';
import { persistentSecret } from '../../src/config/secrets.ts';

describe('loadConfig', () => {
  test('an empty environment gives the documented defaults, frozen', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 8000,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      AGENTD_DATA_DIR: './data',
      JWT_ACCESS_TTL_SECONDS: 900,
      JWT_REFRESH_TTL_SECONDS: 1_209_600,
      AGENTD_MAX_SESSIONS_PER_USER: 5,
      AGENTD_SHUTDOWN_TIMEOUT_SECONDS: 30,
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.REDIS_URL).toBeUndefined();
    expect(config.JWT_SECRET).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  test('values are parsed and empty strings count as unset', () => {
    const config = loadConfig({ PORT: '9001', AGENTD_MAX_SESSIONS_PER_USER: '12', DATABASE_URL: '  ', REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(config.PORT).toBe(9001);
    expect(config.AGENTD_MAX_SESSIONS_PER_USER).toBe(12);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
  });

  test.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['LOG_LEVEL', 'loud'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['REDIS_URL', 'not a url'],
    ['JWT_SECRET', 'too-short'],
    ['AGENTD_MAX_SESSIONS_PER_USER', '0'],
    ['JWT_ACCESS_TTL_SECONDS', '1.5'],
  ])('a bad %s (%j) fails with a message naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`\\b${name}\\b`));
  });

  test('AGENTD_ADMIN_EMAIL without a password fails, naming the password', () => {
    expect(() => loadConfig({ AGENTD_ADMIN_EMAIL: 'root@example.test' })).toThrow(/AGENTD_ADMIN_PASSWORD/);
    expect(loadConfig({ AGENTD_ADMIN_EMAIL: 'root@example.test', AGENTD_ADMIN_PASSWORD: 'long enough' }).AGENTD_ADMIN_EMAIL).toBe('root@example.test');
  });

  test('every problem is reported at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' })).toThrow(/PORT.*LOG_LEVEL|LOG_LEVEL.*PORT/);
  });
});

describe('persistentSecret', () => {
  let dataDir: string;
  const warnings: string[] = [];
  const warn = (message: string) => void warnings.push(message);
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'agentd-secret-'));
    warnings.length = 0;
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  test('is generated once, stored with mode 0600, and the same on the next start', async () => {
    const first = await persistentSecret(dataDir, 'jwt', undefined, warn);
    expect(first.length).toBeGreaterThanOrEqual(32);
    const file = path.join(dataDir, 'jwt.secret');
    expect((await readFile(file, 'utf8')).trim()).toBe(first);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(warnings).toHaveLength(1);
    expect(await persistentSecret(dataDir, 'jwt', undefined, warn)).toBe(first);
    expect(warnings).toHaveLength(1);
  });

  test('several starting at once agree on one secret, announced once, with no leftovers', async () => {
    const secrets = await Promise.all(Array.from({ length: 5 }, () => persistentSecret(dataDir, 'jwt', undefined, warn)));
    expect(new Set(secrets).size).toBe(1);
    expect(secrets[0]).toMatch(/^[\w-]{32,}$/);
    expect(warnings).toHaveLength(1);
    expect(await readdir(dataDir)).toEqual(['jwt.secret']);
  });

  test('a configured secret wins and nothing is written', async () => {
    expect(await persistentSecret(dataDir, 'jwt', 'configured-secret-configured-secret', warn)).toBe('configured-secret-configured-secret');
    await expect(stat(path.join(dataDir, 'jwt.secret'))).rejects.toThrow();
    expect(warnings).toEqual([]);
  });

  test('creates the data dir when it does not exist yet', async () => {
    const nested = path.join(dataDir, 'not', 'yet');
    const secret = await persistentSecret(nested, 'jwt', undefined, warn);
    expect((await readFile(path.join(nested, 'jwt.secret'), 'utf8')).trim()).toBe(secret);
  });
});
