import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';

/** Where the agent keeps a conversation on disk: one folder per working directory. */
export function transcriptPath(configDir: string, cwd: string, conversationId: string): string {
  return path.join(configDir, 'projects', cwd.replace(/[^A-Za-z0-9]/g, '-'), `${conversationId}.jsonl`);
}

/**
 * The agent looks a conversation up under the folder of its working directory; a fork has its
 * own directory, so the parent's transcript is copied where the fork's agent will look.
 */
export async function copyTranscriptForFork(configDir: string, from: { id: string; cwd: string }, toCwd: string): Promise<boolean> {
  const target = transcriptPath(configDir, toCwd, from.id);
  await mkdir(path.dirname(target), { recursive: true });
  return copyFile(transcriptPath(configDir, from.cwd, from.id), target).then(
    () => true,
    () => false,
  );
}
