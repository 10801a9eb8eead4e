import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { NotificationConfig, SdkOptions, Task } from '../../domain/entities.ts';
import type { TaskRepository } from '../../ports/repositories.ts';
import type { Db } from '../connection.ts';
import { tasks } from '../schema.ts';
import { paged } from './page.ts';

const toTask = (row: typeof tasks.$inferSelect) => row as Task;
// The JSON columns are typed as plain objects; SdkOptions and NotificationConfig are ones.
const columnsOf = <T extends { sdkOptions?: SdkOptions | undefined; notificationConfig?: NotificationConfig | null | undefined }>(values: T) => ({
  ...values,
  sdkOptions: values.sdkOptions as Record<string, unknown> | undefined,
  notificationConfig: values.notificationConfig as Record<string, unknown> | null | undefined,
});

export function taskRepository(db: Db): TaskRepository {
  return {
    insert: async (task) => toTask((await db.insert(tasks).values(columnsOf(task)).returning())[0]!),
    findById: async (id) => {
      const row = (await db.select().from(tasks).where(eq(tasks.id, id)))[0];
      return row && toTask(row);
    },
    list: (filter, page) => {
      const conditions: SQL[] = [];
      if (filter.userId) conditions.push(eq(tasks.userId, filter.userId));
      if (filter.isActive !== undefined) conditions.push(eq(tasks.isActive, filter.isActive));
      if (filter.isScheduled !== undefined) conditions.push(eq(tasks.isScheduled, filter.isScheduled));
      if (filter.tag) conditions.push(sql`${tasks.tags} @> ${JSON.stringify([filter.tag])}::jsonb`);
      const where = and(...conditions);
      const rows = db.select().from(tasks).where(where).orderBy(desc(tasks.createdAt), desc(tasks.id)).offset(page.skip).limit(page.limit);
      return paged(db, tasks, where, page, rows.then((r) => r.map(toTask)));
    },
    update: async (id, patch) => {
      const rows = await db.update(tasks).set({ ...columnsOf(patch), updatedAt: new Date() }).where(eq(tasks.id, id)).returning();
      return rows[0] && toTask(rows[0]);
    },
    delete: async (id) => (await db.delete(tasks).where(eq(tasks.id, id)).returning({ id: tasks.id })).length > 0,
    listScheduled: async () =>
      (await db.select().from(tasks).where(and(eq(tasks.isScheduled, true), eq(tasks.scheduleEnabled, true), eq(tasks.isActive, true)))).map(toTask),
    setTriggerSecretHash: async (id, hash) => (await db.update(tasks).set({ triggerSecretHash: hash, updatedAt: new Date() }).where(eq(tasks.id, id)).returning({ id: tasks.id })).length > 0,
  };
}
