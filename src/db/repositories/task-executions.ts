import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { TaskExecution } from '../../domain/entities.ts';
import type { TaskExecutionRepository } from '../../ports/repositories.ts';
import type { Db } from '../connection.ts';
import { storableJson } from '../json.ts';
import { taskExecutions } from '../schema.ts';
import { paged } from './page.ts';

const toExecution = (row: typeof taskExecutions.$inferSelect) => row as TaskExecution;

export function taskExecutionRepository(db: Db): TaskExecutionRepository {
  return {
    insert: async (execution) => {
      const rows = await db
        .insert(taskExecutions)
        .values({ ...execution, variables: storableJson(execution.variables) })
        .onConflictDoNothing()
        .returning();
      return rows[0] && toExecution(rows[0]);
    },
    findById: async (id) => {
      const row = (await db.select().from(taskExecutions).where(eq(taskExecutions.id, id)))[0];
      return row && toExecution(row);
    },
    listForTask: (taskId, page) => {
      const where = eq(taskExecutions.taskId, taskId);
      const rows = db.select().from(taskExecutions).where(where).orderBy(desc(taskExecutions.createdAt), desc(taskExecutions.id)).offset(page.skip).limit(page.limit);
      return paged(db, taskExecutions, where, page, rows.then((r) => r.map(toExecution)));
    },
    findByStatus: async (statuses, runnerId) =>
      (await db.select().from(taskExecutions).where(and(inArray(taskExecutions.status, [...statuses]), eq(taskExecutions.runnerId, runnerId)))).map(toExecution),
    transition: async (id, from, to, patch = {}) => {
      const rows = await db
        .update(taskExecutions)
        .set({ ...patch, status: to })
        .where(and(eq(taskExecutions.id, id), inArray(taskExecutions.status, [...from])))
        .returning();
      return rows[0] && toExecution(rows[0]);
    },
    update: async (id, patch) => {
      const rows = await db.update(taskExecutions).set(patch).where(eq(taskExecutions.id, id)).returning();
      return rows[0] && toExecution(rows[0]);
    },
    delete: async (id) => (await db.delete(taskExecutions).where(eq(taskExecutions.id, id)).returning({ id: taskExecutions.id })).length > 0,
    appendDelivery: async (id, delivery) => {
      await db
        .update(taskExecutions)
        .set({ deliveries: sql`${taskExecutions.deliveries} || ${JSON.stringify([storableJson(delivery)])}::jsonb` })
        .where(eq(taskExecutions.id, id));
    },
  };
}
