import { and, asc, eq, isNull, or, sql } from 'drizzle-orm';
import type { McpServerRecord } from '../../domain/mcp-server.ts';
import { DomainError } from '../../domain/errors.ts';
import type { McpServerRepository } from '../../ports/repositories.ts';
import type { Db } from '../connection.ts';
import { isUniqueViolation } from '../errors.ts';
import { mcpServers } from '../schema.ts';
import { paged } from './page.ts';

const toRecord = (row: typeof mcpServers.$inferSelect): McpServerRecord => row;
const ownedBy = (owner: string | null) => (owner === null ? isNull(mcpServers.userId) : eq(mcpServers.userId, owner));
const visibleTo = (userId: string) => or(eq(mcpServers.userId, userId), isNull(mcpServers.userId));
const nameTaken = () => new DomainError('MCP_SERVER_NAME_TAKEN', 'An MCP server with this name already exists');

async function unlessNameTaken<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    // The unique index on (owner, name) decides races past the service's checks.
    if (isUniqueViolation(error)) throw nameTaken();
    throw error;
  }
}

export function mcpServerRepository(db: Db): McpServerRepository {
  return {
    insert: async (server) => toRecord((await unlessNameTaken(db.insert(mcpServers).values(server).returning()))[0]!),
    findById: async (id) => {
      const row = (await db.select().from(mcpServers).where(eq(mcpServers.id, id)))[0];
      return row && toRecord(row);
    },
    listVisible: (userId, page) => {
      const where = visibleTo(userId);
      const rows = db.select().from(mcpServers).where(where).orderBy(sql`${mcpServers.userId} is null`, asc(mcpServers.name), asc(mcpServers.id)).offset(page.skip).limit(page.limit);
      return paged(db, mcpServers, where, page, rows.then((r) => r.map(toRecord)));
    },
    listOwned: async (owner) => (await db.select().from(mcpServers).where(ownedBy(owner)).orderBy(asc(mcpServers.name))).map(toRecord),
    listEnabledFor: async (userId) =>
      (await db.select().from(mcpServers).where(and(visibleTo(userId), eq(mcpServers.isEnabled, true))).orderBy(asc(mcpServers.name))).map(toRecord),
    update: async (id, patch) => {
      const rows = await unlessNameTaken(db.update(mcpServers).set({ ...patch, updatedAt: new Date() }).where(eq(mcpServers.id, id)).returning());
      return rows[0] && toRecord(rows[0]);
    },
    delete: async (id) => (await db.delete(mcpServers).where(eq(mcpServers.id, id)).returning({ id: mcpServers.id })).length > 0,
    setHealth: async (id, health) => void (await db.update(mcpServers).set({ lastHealth: health }).where(eq(mcpServers.id, id))),
  };
}
