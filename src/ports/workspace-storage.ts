/** Files that belong to sessions: working directories, their archives, and reports. */
export interface WorkspaceStorage {
  readonly root: string;
  createWorkingDirectory(sessionId: string): Promise<string>;
  workingDirectoryPath(sessionId: string): string;
  copyWorkingDirectory(fromSessionId: string, toSessionId: string): Promise<void>;
  /** Packs the working directory into archives/{sessionId}.tar.gz and returns its path and size. */
  archiveWorkingDirectory(sessionId: string): Promise<{ path: string; sizeBytes: number } | undefined>;
  removeWorkingDirectory(sessionId: string): Promise<void>;
  directorySize(path: string): Promise<number>;
  /** Bytes a session holds on disk: its working directory and its archive. */
  sessionUsage(sessionId: string): Promise<{ workingDirectoryBytes: number; archiveBytes: number }>;
}
