import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { DomainError } from '../domain/errors.ts';
import type { ReportStorage } from '../ports/report-storage.ts';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const extensionPattern = /^[a-z0-9]{1,8}$/;

/** Report files under <data dir>/reports, one folder per user. */
export class LocalReportStorage implements ReportStorage {
  private readonly root: string;
  private readonly reportsDir: string;

  constructor(dataDir: string) {
    this.root = path.resolve(dataDir);
    this.reportsDir = path.join(this.root, 'reports');
  }

  async save(userId: string, reportId: string, extension: string, content: Uint8Array): Promise<{ path: string; sizeBytes: number }> {
    // Ids come from the database, but a path is built from them: never trust their shape.
    if (!uuidPattern.test(userId) || !uuidPattern.test(reportId) || !extensionPattern.test(extension)) {
      throw new DomainError('PATH_OUTSIDE_ROOT', 'Invalid report file name');
    }
    const dir = path.join(this.reportsDir, userId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `${reportId}.${extension}`);
    // A reader never sees a half-written report: the rename is atomic within one file system.
    const temporary = `${file}.${randomUUID()}.tmp`;
    try {
      await writeFile(temporary, content, { flag: 'wx', mode: 0o600 });
      await rename(temporary, file);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    return { path: path.relative(this.root, file), sizeBytes: content.byteLength };
  }

  async open(relativePath: string): Promise<{ stream: Readable; sizeBytes: number } | undefined> {
    const handle = await open(this.resolve(relativePath), 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!handle) return undefined;
    try {
      const { size } = await handle.stat();
      // The stream owns the handle from here and closes it when it ends or fails.
      return { stream: handle.createReadStream(), sizeBytes: size };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async remove(relativePath: string): Promise<void> {
    await rm(this.resolve(relativePath), { force: true });
  }

  /** A stored path back to an absolute one, refusing any that leads out of the reports folder. */
  private resolve(relativePath: string): string {
    const absolute = path.resolve(this.root, relativePath);
    const inside = path.relative(this.reportsDir, absolute);
    if (inside.startsWith('..') || path.isAbsolute(inside) || inside === '') throw new DomainError('PATH_OUTSIDE_ROOT', 'Report file outside the reports folder');
    return absolute;
  }
}
