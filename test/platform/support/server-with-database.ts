import { eq } from 'drizzle-orm';
import type { DatabaseHandle } from '../../../src/db/connection.ts';
import { users } from '../../../src/db/schema.ts';
import type { Role } from '../../../src/domain/roles.ts';
import { startServer, type TestServer } from '../../support/server.ts';
import { openedDatabases } from './capture-databases.ts';

/** A test server and the database it writes to; needs the capture mock (see capture-databases.ts). */
export async function startServerWithDatabase(options: Parameters<typeof startServer>[0] = {}): Promise<{ server: TestServer; database: DatabaseHandle }> {
  const before = openedDatabases.length;
  const server = await startServer(options);
  // The last handle opened is the server's: a PGlite template, when one is built, comes first.
  const database = openedDatabases.at(-1);
  if (openedDatabases.length === before || !database) throw new Error('no database captured: is capture-databases mocked into this test file?');
  return { server, database };
}

/** Test setup only: what an admin API would do to an account. */
export async function updateUser(database: DatabaseHandle, userId: string, patch: { role?: Role; isActive?: boolean }): Promise<void> {
  const updated = await database.db.update(users).set(patch).where(eq(users.id, userId)).returning({ id: users.id });
  if (updated.length !== 1) throw new Error(`user ${userId} not found`);
}
