import type * as connection from '../../../src/db/connection.ts';
import type { DatabaseHandle } from '../../../src/db/connection.ts';

/**
 * Every database handle the process opens, in order. A test file installs it with
 *   vi.mock('../../src/db/connection.ts', async (original) => (await import('./support/capture-databases.ts')).capturing(await original()));
 * so setup that no API offers yet (disabling a user, changing a role) can reach the server's own database.
 * This module must not import the connection module at run time: it is loaded from inside its mock.
 */
export const openedDatabases: DatabaseHandle[] = [];

export function capturing(original: typeof connection): typeof connection {
  return {
    ...original,
    openDatabase: async (options) => {
      const handle = await original.openDatabase(options);
      openedDatabases.push(handle);
      return handle;
    },
  };
}
