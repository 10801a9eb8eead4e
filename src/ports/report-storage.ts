import type { Readable } from 'node:stream';

/** Report files on disk, each under its owner: reports/<user_id>/<report_id>.<extension>. */
export interface ReportStorage {
  /** Writes the whole file or nothing (a temporary name, then a rename); the path is relative to the data dir. */
  save(userId: string, reportId: string, extension: string, content: Uint8Array): Promise<{ path: string; sizeBytes: number }>;
  /** The stored file as a stream; undefined when it is gone. */
  open(path: string): Promise<{ stream: Readable; sizeBytes: number } | undefined>;
  /** Removes the file; a file already gone is not an error. */
  remove(path: string): Promise<void>;
}
