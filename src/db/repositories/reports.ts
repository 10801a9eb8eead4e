import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { Report } from '../../domain/report.ts';
import type { ReportRepository } from '../../ports/repositories.ts';
import type { Db } from '../connection.ts';
import { storableJson } from '../json.ts';
import { reports } from '../schema.ts';
import { paged } from './page.ts';

// The format column holds what the service wrote, one of reportFormats; options are ReportOptions.
const toReport = (row: typeof reports.$inferSelect) => row as unknown as Report;

export function reportRepository(db: Db): ReportRepository {
  return {
    insert: async (report) => {
      const values = { ...report, options: storableJson(report.options) as unknown as Record<string, unknown> };
      return toReport((await db.insert(reports).values(values).returning())[0]!);
    },
    findById: async (id) => {
      const row = (await db.select().from(reports).where(eq(reports.id, id)))[0];
      return row && toReport(row);
    },
    list: (filter, page) => {
      const conditions: SQL[] = [];
      if (filter.userId) conditions.push(eq(reports.userId, filter.userId));
      if (filter.sessionId) conditions.push(eq(reports.sessionId, filter.sessionId));
      if (filter.executionId) conditions.push(eq(reports.executionId, filter.executionId));
      const where = and(...conditions);
      const rows = db.select().from(reports).where(where).orderBy(desc(reports.createdAt), desc(reports.id)).offset(page.skip).limit(page.limit);
      return paged(db, reports, where, page, rows.then((r) => r.map(toReport)));
    },
    delete: async (id) => (await db.delete(reports).where(eq(reports.id, id)).returning({ id: reports.id })).length > 0,
    totalSizeForUser: async (userId) => {
      const [row] = await db.select({ bytes: sql<string>`coalesce(sum(${reports.fileSizeBytes}), 0)` }).from(reports).where(eq(reports.userId, userId));
      return Number(row?.bytes ?? 0);
    },
  };
}
