import type { SessionKey, SessionStore, SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import type { TranscriptRepository } from '../ports/repositories.ts';

/**
 * The SDK's session store on agentd's database, so a conversation resumes on any host and after
 * its local files are gone. Keyed by conversation id alone (a UUID, unique across users and
 * hosts) and not by the SDK's projectKey, which comes from the working directory: a fork opens
 * its parent's conversation from its own directory and finds it without copying anything.
 */
export function transcriptStore(transcripts: TranscriptRepository, log: { warn(obj: object, msg: string): void }): SessionStore {
  return {
    append: async (key, entries) => {
      try {
        await transcripts.append(keyOf(key), entries);
      } catch (error) {
        // The SDK retries twice, then drops the batch; the log is where a lost line shows.
        log.warn({ err: error, key: keyOf(key), entries: entries.length }, 'storing agent transcript lines failed');
        throw error;
      }
    },
    load: async (key) => (await transcripts.load(keyOf(key))) as SessionStoreEntry[] | null,
    // Subagent transcripts, restored along with the main one on resume.
    listSubkeys: async ({ sessionId }) => (await transcripts.listKeys(`${sessionId}/`)).map((key) => key.slice(sessionId.length + 1)),
    delete: async (key) => {
      const main = keyOf(key);
      const keys = key.subpath === undefined ? [main, ...(await transcripts.listKeys(`${main}/`))] : [main];
      for (const each of keys) await transcripts.delete(each);
    },
  };
}

const keyOf = (key: Pick<SessionKey, 'sessionId' | 'subpath'>) => (key.subpath ? `${key.sessionId}/${key.subpath}` : key.sessionId);
