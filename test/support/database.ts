import { openDatabase, type DatabaseHandle } from '../../src/db/connection.ts';

let template: Promise<Blob> | undefined;

/**
 * A fresh database for one test file: the machine's PostgreSQL when DATABASE_URL is set
 * (tests isolate by their own rows), else an embedded PGlite cloned from a migrated template.
 */
export async function testDatabase(dataDir?: string): Promise<DatabaseHandle> {
  if (process.env.DATABASE_URL) return openDatabase({ url: process.env.DATABASE_URL });
  template ??= openDatabase({}).then(async (db) => {
    const dump = await db.dump!();
    await db.close();
    return dump;
  });
  return openDatabase({ dataDir, seed: await template });
}
