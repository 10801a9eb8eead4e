import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A secret from configuration, or one generated on first start and kept in the data dir (mode 0600),
 * so `npm start` needs no configuration and tokens survive a restart.
 */
export async function persistentSecret(dataDir: string, name: string, configured: string | undefined, warn: (message: string) => void): Promise<string> {
  if (configured) return configured;
  const file = path.join(dataDir, `${name}.secret`);
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing?.trim()) return existing.trim();
  await mkdir(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  // 'wx' fails if another process wrote it first; then we read theirs.
  await writeFile(file, secret, { mode: 0o600, flag: 'wx' }).catch(() => undefined);
  warn(`No ${name.toUpperCase()} configured: generated one and stored it in ${file}. Set it explicitly in production.`);
  return (await readFile(file, 'utf8')).trim();
}
