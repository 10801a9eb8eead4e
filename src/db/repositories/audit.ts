import { and, desc, eq, gte, lte, type SQL } from 'drizzle-orm';
import type { AuditLog } from '../../domain/entities.ts';
import type { AuditRepository } from '../../ports/repositories.ts';
import type { Db } from '../connection.ts';
import { auditLogs } from '../schema.ts';
import { storableJson } from '../json.ts';
import { paged } from './page.ts';

export function auditRepository(db: Db): AuditRepository {
  return {
    insert: async (entry) => void (await db.insert(auditLogs).values({ ...entry, details: storableJson(entry.details ?? {}) })),
    list: (filter, page) => {
      const conditions: SQL[] = [];
      if (filter.userId) conditions.push(eq(auditLogs.userId, filter.userId));
      if (filter.eventType) conditions.push(eq(auditLogs.eventType, filter.eventType));
      if (filter.category) conditions.push(eq(auditLogs.category, filter.category as AuditLog['category']));
      if (filter.since) conditions.push(gte(auditLogs.createdAt, filter.since));
      if (filter.until) conditions.push(lte(auditLogs.createdAt, filter.until));
      const where = and(...conditions);
      const rows = db.select().from(auditLogs).where(where).orderBy(desc(auditLogs.id)).offset(page.skip).limit(page.limit);
      return paged(db, auditLogs, where, page, rows as Promise<AuditLog[]>);
    },
  };
}
