import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
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

/**
 * A new, empty database on the PostgreSQL of DATABASE_URL, for tests whose servers must not share
 * the common test database with other files (schedules fire for every task a server can see).
 */
export async function createPostgresDatabase(baseUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `agentd_t_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = new URL(baseUrl);
  admin.pathname = '/postgres';
  const run = async (statement: string) => {
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
