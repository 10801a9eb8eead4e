import { readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// A resume copies the transcript into a temporary folder that a killed server never removes;
// one this old is no longer in use by any agent on the machine.
export const RESUME_COPY_MAX_AGE_MS = 60 * 60 * 1000;

export function sweepResumeCopies(maxAgeMs: number) {
  const cutoff = Date.now() - maxAgeMs;
  for (const name of readdirSync(os.tmpdir())) {
    if (!name.startsWith('claude-resume-')) continue;
    const dir = path.join(os.tmpdir(), name);
    try {
      if (statSync(dir).mtimeMs < cutoff) rmSync(dir, { recursive: true, force: true });
    } catch {
      // removed meanwhile
    }
  }
}
