import { readFile } from 'node:fs/promises';
import { describe, inject } from 'vitest';
import { openDatabase } from '../../src/db/connection.ts';
import { storeContract } from './store-contract.ts';

/** Always run on PGlite: from the run's migrated template when there is one (none when DATABASE_URL is set). */
async function embeddedDatabase() {
  const template = await readFile(inject('pgliteTemplate')).catch(() => undefined);
  return openDatabase(template ? { seed: new Blob([template]) } : {});
}

describe('PGlite', () => storeContract(embeddedDatabase));

const url = process.env.DATABASE_URL;
describe.skipIf(!url)('PostgreSQL', () => storeContract(() => openDatabase({ url })));
