import { readFile } from 'node:fs/promises';
import { inject } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/connection.ts';

/**
 * A fresh database for one test file: the machine's PostgreSQL when DATABASE_URL is set
 * (tests isolate by their own rows), else an embedded PGlite copied from the migrated template.
 */
export async function testDatabase(dataDir?: string): Promise<DatabaseHandle> {
  if (process.env.DATABASE_URL) return openDatabase({ url: process.env.DATABASE_URL });
  const seed = new Blob([await readFile(inject('pgliteTemplate'))]);
  return openDatabase({ dataDir, seed });
}
