import { and, desc, eq, or, sql, type SQL } from 'drizzle-orm';
import type { SdkOptions, SessionTemplate } from '../../domain/entities.ts';
import type { SessionTemplateRepository } from '../../ports/repositories.ts';
import type { Db } from '../connection.ts';
import { sessionTemplates } from '../schema.ts';
import { paged } from './page.ts';

const toTemplate = (row: typeof sessionTemplates.$inferSelect) => row as SessionTemplate;
// The column is typed as a plain JSON object; SdkOptions is one.
const columnsOf = <T extends { sdkOptions?: SdkOptions | undefined }>(values: T) => ({ ...values, sdkOptions: values.sdkOptions as Record<string, unknown> | undefined });

export function sessionTemplateRepository(db: Db): SessionTemplateRepository {
  return {
    insert: async (template) => toTemplate((await db.insert(sessionTemplates).values(columnsOf(template)).returning())[0]!),
    findById: async (id) => {
      const row = (await db.select().from(sessionTemplates).where(eq(sessionTemplates.id, id)))[0];
      return row && toTemplate(row);
    },
    listVisible: (filter, page) => {
      const conditions: Array<SQL | undefined> = [];
      if (filter.userId) conditions.push(or(eq(sessionTemplates.userId, filter.userId), eq(sessionTemplates.isPublic, true)));
      if (filter.category) conditions.push(eq(sessionTemplates.category, filter.category));
      const where = and(...conditions);
      const rows = db.select().from(sessionTemplates).where(where).orderBy(desc(sessionTemplates.createdAt), desc(sessionTemplates.id)).offset(page.skip).limit(page.limit);
      return paged(db, sessionTemplates, where, page, rows.then((r) => r.map(toTemplate)));
    },
    update: async (id, patch) => {
      const rows = await db.update(sessionTemplates).set({ ...columnsOf(patch), updatedAt: new Date() }).where(eq(sessionTemplates.id, id)).returning();
      return rows[0] && toTemplate(rows[0]);
    },
    delete: async (id) => (await db.delete(sessionTemplates).where(eq(sessionTemplates.id, id)).returning({ id: sessionTemplates.id })).length > 0,
    // One statement: concurrent sessions from one template each count.
    incrementUsage: async (id) =>
      (await db.update(sessionTemplates).set({ usageCount: sql`${sessionTemplates.usageCount} + 1` }).where(eq(sessionTemplates.id, id)).returning({ id: sessionTemplates.id })).length > 0,
  };
}
