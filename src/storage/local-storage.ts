import { cp, mkdir, readdir, rm, stat, lstat } from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar';
import { DomainError } from '../domain/errors.ts';
import type { WorkspaceStorage } from '../ports/workspace-storage.ts';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The reference's StorageManager: sessions/, archives/ and reports/ under one data dir. */
export class LocalWorkspaceStorage implements WorkspaceStorage {
  readonly root: string;
  private readonly sessionsDir: string;
  private readonly archivesDir: string;

  constructor(dataDir: string) {
    this.root = path.resolve(dataDir);
    this.sessionsDir = path.join(this.root, 'sessions');
    this.archivesDir = path.join(this.root, 'archives');
  }

  workingDirectoryPath(sessionId: string): string {
    // Ids come from the database, but a path is built from them: never trust their shape.
    if (!uuidPattern.test(sessionId)) throw new DomainError('PATH_OUTSIDE_ROOT', 'Invalid session id for a path');
    return path.join(this.sessionsDir, sessionId);
  }

  async createWorkingDirectory(sessionId: string): Promise<string> {
    const dir = this.workingDirectoryPath(sessionId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  async copyWorkingDirectory(fromSessionId: string, toSessionId: string): Promise<void> {
    const from = this.workingDirectoryPath(fromSessionId);
    const to = await this.createWorkingDirectory(toSessionId);
    // Symlinks are copied as links, never followed: a link to /etc stays a link.
    await cp(from, to, { recursive: true, force: true, verbatimSymlinks: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }

  async archiveWorkingDirectory(sessionId: string): Promise<{ path: string; sizeBytes: number } | undefined> {
    const dir = this.workingDirectoryPath(sessionId);
    if (!(await exists(dir))) return undefined;
    await mkdir(this.archivesDir, { recursive: true });
    const file = path.join(this.archivesDir, `${sessionId}.tar.gz`);
    await tar.create({ gzip: true, file, cwd: dir, portable: true }, ['.']);
    return { path: file, sizeBytes: (await stat(file)).size };
  }

  async sessionUsage(sessionId: string): Promise<{ workingDirectoryBytes: number; archiveBytes: number }> {
    const archive = path.join(this.archivesDir, `${sessionId}.tar.gz`);
    return {
      workingDirectoryBytes: await this.directorySize(this.workingDirectoryPath(sessionId)),
      archiveBytes: (await stat(archive).catch(() => ({ size: 0 }))).size,
    };
  }

  async removeWorkingDirectory(sessionId: string): Promise<void> {
    await rm(this.workingDirectoryPath(sessionId), { recursive: true, force: true });
  }

  async directorySize(dir: string): Promise<number> {
    let total = 0;
    const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      total += (await lstat(path.join(entry.parentPath, entry.name)).catch(() => ({ size: 0 }))).size;
    }
    return total;
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
