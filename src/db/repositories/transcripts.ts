import { asc, eq, like, sql } from 'drizzle-orm';
import type { TranscriptRepository } from '../../ports/repositories.ts';
import type { Db } from '../connection.ts';
import { agentTranscripts } from '../schema.ts';

// Three parameters a row; PostgreSQL takes at most 65,535 in one statement.
const ROWS_PER_INSERT = 1000;

const uuidOf = (entry: unknown): string | null => {
  const uuid = entry && typeof entry === 'object' ? (entry as { uuid?: unknown }).uuid : undefined;
  return typeof uuid === 'string' ? uuid : null;
};

const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function transcriptRepository(db: Db): TranscriptRepository {
  const insert = async (tx: Db, key: string, entries: readonly unknown[]) => {
    for (let start = 0; start < entries.length; start += ROWS_PER_INSERT) {
      const rows = entries.slice(start, start + ROWS_PER_INSERT).map((entry) => ({ storeKey: key, entry, uuid: uuidOf(entry) }));
      // Rows take their ids in list order, so `id` is the append order. A NULL uuid never conflicts.
      await tx
        .insert(agentTranscripts)
        .values(rows)
        .onConflictDoNothing({ target: [agentTranscripts.storeKey, agentTranscripts.uuid] });
    }
  };
  return {
    append: async (key, entries) => {
      if (entries.length <= ROWS_PER_INSERT) return insert(db, key, entries);
      // All or nothing: a failed batch is retried whole, and lines without a uuid must not land twice.
      await db.transaction((tx) => insert(tx as unknown as Db, key, entries));
    },
    load: async (key) => {
      // Read as text and parse here: the same values on PGlite and node-postgres, whatever their json parsers do.
      const rows = await db
        .select({ entry: sql<string>`${agentTranscripts.entry}::text` })
        .from(agentTranscripts)
        .where(eq(agentTranscripts.storeKey, key))
        .orderBy(asc(agentTranscripts.id));
      return rows.length === 0 ? null : rows.map((row) => JSON.parse(row.entry) as unknown);
    },
    listKeys: async (prefix) =>
      (
        await db
          .selectDistinct({ key: agentTranscripts.storeKey })
          .from(agentTranscripts)
          .where(like(agentTranscripts.storeKey, likePrefix(prefix)))
          .orderBy(asc(agentTranscripts.storeKey))
      ).map((row) => row.key),
    delete: async (key) => void (await db.delete(agentTranscripts).where(eq(agentTranscripts.storeKey, key))),
  };
}
