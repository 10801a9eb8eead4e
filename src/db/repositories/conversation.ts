import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Message, PermissionDecision, ToolCall } from '../../domain/entities.ts';
import type {
  HookExecutionRepository,
  MessageRepository,
  PermissionDecisionRepository,
  SessionEventRepository,
  ToolCallRepository,
} from '../../ports/repositories.ts';
import type { Db } from '../connection.ts';
import { hookExecutions, messages, permissionDecisions, sessionEvents, toolCalls } from '../schema.ts';
import { paged } from './page.ts';

export function messageRepository(db: Db): MessageRepository {
  return {
    insert: async (message) => {
      // One turn at a time per session, so the next number is free; the unique key guards the rest.
      const next = sql<number>`(select coalesce(max(${messages.sequenceNumber}), 0) + 1 from ${messages} where ${messages.sessionId} = ${message.sessionId})`;
      const rows = await db.insert(messages).values({ ...message, sequenceNumber: next }).returning();
      return rows[0] as Message;
    },
    list: (sessionId, page) => {
      const where = eq(messages.sessionId, sessionId);
      const rows = db.select().from(messages).where(where).orderBy(asc(messages.sequenceNumber)).offset(page.skip).limit(page.limit);
      return paged(db, messages, where, page, rows as Promise<Message[]>);
    },
  };
}

export function toolCallRepository(db: Db): ToolCallRepository {
  return {
    upsertStarted: async (call) => {
      const rows = await db
        .insert(toolCalls)
        .values({ ...call, status: 'running' })
        .onConflictDoUpdate({ target: [toolCalls.sessionId, toolCalls.toolUseId], set: { input: call.input } })
        .returning();
      return rows[0] as ToolCall;
    },
    complete: async (sessionId, toolUseId, result) => {
      const rows = await db
        .update(toolCalls)
        .set({
          ...result,
          durationMs: sql`greatest(0, (extract(epoch from ${result.completedAt.toISOString()}::timestamptz - ${toolCalls.createdAt}) * 1000)::int)`,
        })
        .where(and(eq(toolCalls.sessionId, sessionId), eq(toolCalls.toolUseId, toolUseId)))
        .returning();
      return rows[0];
    },
    findByToolUseId: async (sessionId, toolUseId) =>
      (await db.select().from(toolCalls).where(and(eq(toolCalls.sessionId, sessionId), eq(toolCalls.toolUseId, toolUseId))))[0],
    list: (sessionId, page) => {
      const where = eq(toolCalls.sessionId, sessionId);
      const rows = db.select().from(toolCalls).where(where).orderBy(asc(toolCalls.createdAt), asc(toolCalls.id)).offset(page.skip).limit(page.limit);
      return paged(db, toolCalls, where, page, rows as Promise<ToolCall[]>);
    },
  };
}

export function permissionDecisionRepository(db: Db): PermissionDecisionRepository {
  return {
    insert: async (decision) => (await db.insert(permissionDecisions).values(decision).returning())[0] as PermissionDecision,
    list: (sessionId, page) => {
      const where = eq(permissionDecisions.sessionId, sessionId);
      const rows = db.select().from(permissionDecisions).where(where).orderBy(asc(permissionDecisions.createdAt)).offset(page.skip).limit(page.limit);
      return paged(db, permissionDecisions, where, page, rows as Promise<PermissionDecision[]>);
    },
  };
}

export function hookExecutionRepository(db: Db): HookExecutionRepository {
  return {
    insert: async (row) => void (await db.insert(hookExecutions).values(row)),
    list: (sessionId, page) => {
      const where = eq(hookExecutions.sessionId, sessionId);
      const rows = db
        .select({ id: hookExecutions.id, hookName: hookExecutions.hookName, toolName: hookExecutions.toolName, toolUseId: hookExecutions.toolUseId, details: hookExecutions.details, createdAt: hookExecutions.createdAt })
        .from(hookExecutions)
        .where(where)
        .orderBy(asc(hookExecutions.createdAt))
        .offset(page.skip)
        .limit(page.limit);
      return paged(db, hookExecutions, where, page, rows);
    },
  };
}

export function sessionEventRepository(db: Db): SessionEventRepository {
  return {
    insert: async (sessionId, seq, event) => void (await db.insert(sessionEvents).values({ sessionId, seq, event })),
    listAfter: async (sessionId, afterSeq, limit) =>
      (
        await db
          .select({ event: sessionEvents.event })
          .from(sessionEvents)
          .where(and(eq(sessionEvents.sessionId, sessionId), gt(sessionEvents.seq, afterSeq)))
          .orderBy(asc(sessionEvents.seq))
          .limit(limit)
      ).map((r) => r.event),
  };
}
