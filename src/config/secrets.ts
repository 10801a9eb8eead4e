import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
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
  // Written aside, then linked into place: link() never replaces a file, and the file it makes
  // is complete from the first moment another process can read it. The first to link wins.
  const aside = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(aside, secret, { mode: 0o600 });
  const won = await link(aside, file).then(
    () => true,
    () => false,
  );
  await rm(aside, { force: true });
  if (won) warn(`No ${name.toUpperCase()} configured: generated one and stored it in ${file}. Set it explicitly in production.`);
  return (await readFile(file, 'utf8')).trim();
}
