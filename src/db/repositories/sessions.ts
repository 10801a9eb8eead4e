import { and, count, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Session } from '../../domain/entities.ts';
import { liveStatuses } from '../../domain/session-status.ts';
import type { SessionRepository } from '../../ports/repositories.ts';
import type { Db } from '../connection.ts';
import { sessions } from '../schema.ts';
import { paged } from './page.ts';

const toSession = (row: typeof sessions.$inferSelect) => row as Session;

export function sessionRepository(db: Db): SessionRepository {
  return {
    insert: async (session) => toSession((await db.insert(sessions).values(session).returning())[0]!),
    findById: async (id) => {
      const row = (await db.select().from(sessions).where(eq(sessions.id, id)))[0];
      return row && toSession(row);
    },
    list: (filter, page) => {
      const conditions: SQL[] = [];
      if (filter.userId) conditions.push(eq(sessions.userId, filter.userId));
      if (filter.status) conditions.push(eq(sessions.status, filter.status));
      if (filter.mode) conditions.push(eq(sessions.mode, filter.mode));
      const where = and(...conditions);
      const rows = db.select().from(sessions).where(where).orderBy(desc(sessions.createdAt), desc(sessions.id)).offset(page.skip).limit(page.limit);
      return paged(db, sessions, where, page, rows.then((r) => r.map(toSession)));
    },
    countLive: async (userId) => db.$count(sessions, and(eq(sessions.userId, userId), inArray(sessions.status, [...liveStatuses]))),
    countByStatus: async () => {
      const rows = await db.select({ status: sessions.status, n: count() }).from(sessions).groupBy(sessions.status);
      return Object.fromEntries(rows.map((r) => [r.status, r.n]));
    },
    transition: async (id, from, to, patch = {}) => {
      const rows = await db
        .update(sessions)
        .set({ ...patch, status: to, updatedAt: new Date() })
        .where(and(eq(sessions.id, id), inArray(sessions.status, [...from])))
        .returning();
      return rows[0] && toSession(rows[0]);
    },
    update: async (id, patch) => void (await db.update(sessions).set({ ...patch, updatedAt: new Date() }).where(eq(sessions.id, id))),
    addTotals: async (id, t) =>
      void (await db
        .update(sessions)
        .set({
          totalMessages: sql`${sessions.totalMessages} + ${t.messages ?? 0}`,
          totalToolCalls: sql`${sessions.totalToolCalls} + ${t.toolCalls ?? 0}`,
          totalCostUsd: sql`${sessions.totalCostUsd} + ${t.costUsd ?? 0}`,
          apiInputTokens: sql`${sessions.apiInputTokens} + ${t.inputTokens ?? 0}`,
          apiOutputTokens: sql`${sessions.apiOutputTokens} + ${t.outputTokens ?? 0}`,
          apiCacheCreationTokens: sql`${sessions.apiCacheCreationTokens} + ${t.cacheCreationTokens ?? 0}`,
          apiCacheReadTokens: sql`${sessions.apiCacheReadTokens} + ${t.cacheReadTokens ?? 0}`,
          updatedAt: new Date(),
        })
        .where(eq(sessions.id, id))),
    findByStatus: async (statuses, runnerId) =>
      (await db.select().from(sessions).where(and(inArray(sessions.status, [...statuses]), runnerId ? eq(sessions.runnerId, runnerId) : undefined))).map(toSession),
  };
}
