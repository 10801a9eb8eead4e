import { count, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Page } from '../../domain/entities.ts';
import type { PageRequest } from '../../ports/repositories.ts';
import type { Db } from '../connection.ts';

/** One page of `rows` plus the total matching `where`, counted on the same table. */
export async function paged<T>(db: Db, table: PgTable, where: SQL | undefined, page: PageRequest, rows: Promise<T[]>): Promise<Page<T>> {
  const [items, totals] = await Promise.all([rows, db.select({ total: count() }).from(table).where(where)]);
  return { items, total: totals[0]?.total ?? 0, skip: page.skip, limit: page.limit };
}
