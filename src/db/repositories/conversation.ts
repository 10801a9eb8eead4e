import { and, asc, eq, gt, gte, sql } from 'drizzle-orm';
import type { Message, PermissionDecision, ToolCall } from '../../domain/entities.ts';
import type {
  HookExecutionRepository,
  MessageRepository,
  PermissionDecisionRepository,
  SessionEventRepository,
  ToolCallRepository,
} from '../../ports/repositories.ts';
import type { Db } from '../connection.ts';
import { isUniqueViolation } from '../errors.ts';
import { storableJson } from '../json.ts';
import { hookExecutions, messages, permissionDecisions, sessionEvents, sessions, toolCalls } from '../schema.ts';
import { paged } from './page.ts';

export function messageRepository(db: Db): MessageRepository {
  return {
    costSince: async (userId, since) => {
      const rows = await db
        .select({ total: sql<number>`coalesce(sum((${messages.content}->>'cost_usd')::float8), 0)` })
        .from(messages)
        .innerJoin(sessions, eq(sessions.id, messages.sessionId))
        .where(and(eq(sessions.userId, userId), eq(messages.messageType, 'result'), gte(messages.createdAt, since)));
      return Number(rows[0]?.total ?? 0);
    },
    insert: async (message) => {
      // One turn at a time per session, so the next number is free; the unique key guards the rest.
      const next = sql<number>`(select coalesce(max(${messages.sequenceNumber}), 0) + 1 from ${messages} where ${messages.sessionId} = ${message.sessionId})`;
      const rows = await db.insert(messages).values({ ...message, content: storableJson(message.content), sequenceNumber: next }).returning();
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
        .values({ ...call, input: storableJson(call.input), status: 'running' })
        .onConflictDoUpdate({ target: [toolCalls.sessionId, toolCalls.toolUseId], set: { input: storableJson(call.input) } })
        .returning();
      return rows[0] as ToolCall;
    },
    complete: async (sessionId, toolUseId, result) => {
      const rows = await db
        .update(toolCalls)
        .set({
          ...result,
          output: storableJson(result.output),
          errorMessage: result.errorMessage && storableJson(result.errorMessage),
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
    insert: async (decision) => (await db.insert(permissionDecisions).values({ ...decision, input: storableJson(decision.input) }).returning())[0] as PermissionDecision,
    list: (sessionId, page) => {
      const where = eq(permissionDecisions.sessionId, sessionId);
      const rows = db.select().from(permissionDecisions).where(where).orderBy(asc(permissionDecisions.createdAt)).offset(page.skip).limit(page.limit);
      return paged(db, permissionDecisions, where, page, rows as Promise<PermissionDecision[]>);
    },
  };
}

export function hookExecutionRepository(db: Db): HookExecutionRepository {
  return {
    insert: async (row) => void (await db.insert(hookExecutions).values({ ...row, details: storableJson(row.details) })),
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
    // One statement: the event and the session's last_seq move together, without a transaction round trip.
    insert: async (sessionId, seq, event) => {
      try {
        await db.execute(sql`
          with stored as (
            insert into ${sessionEvents} (session_id, seq, event) values (${sessionId}, ${seq}, ${JSON.stringify(storableJson(event))}::jsonb) returning seq
          )
          update ${sessions} set last_seq = greatest(${sessions.lastSeq}, stored.seq) from stored where ${sessions.id} = ${sessionId}`);
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },
    lastSeq: async (sessionId) => (await db.select({ last: sessions.lastSeq }).from(sessions).where(eq(sessions.id, sessionId)))[0]?.last ?? 0,
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
