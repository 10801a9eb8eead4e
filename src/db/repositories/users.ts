import { and, eq, isNull, sql } from 'drizzle-orm';
import type { User } from '../../domain/entities.ts';
import type { RefreshTokenRepository, UserRepository } from '../../ports/repositories.ts';
import { DomainError } from '../../domain/errors.ts';
import type { Db } from '../connection.ts';
import { isUniqueViolation } from '../errors.ts';
import { refreshTokens, users } from '../schema.ts';
import { paged } from './page.ts';

export function userRepository(db: Db): UserRepository {
  const first = (rows: User[]) => rows[0];
  return {
    insert: async (user) => {
      try {
        return (await db.insert(users).values(user).returning())[0]!;
      } catch (error) {
        // Two registrations racing past the service's checks: the unique index decides.
        if (isUniqueViolation(error)) throw new DomainError('EMAIL_TAKEN', 'An account with this email or username already exists');
        throw error;
      }
    },
    findById: async (id) => first(await db.select().from(users).where(eq(users.id, id))),
    findByEmail: async (email) => first(await db.select().from(users).where(sql`lower(${users.email}) = lower(${email})`)),
    findByUsername: async (username) => first(await db.select().from(users).where(sql`lower(${users.username}) = lower(${username})`)),
    lockById: async (id) => first(await db.select().from(users).where(eq(users.id, id)).for('update')),
    update: async (id, patch) => first(await db.update(users).set({ ...patch, updatedAt: new Date() }).where(eq(users.id, id)).returning()),
    touchLogin: async (id, at) => void (await db.update(users).set({ lastLoginAt: at }).where(eq(users.id, id))),
    list: (page) => paged(db, users, undefined, page, db.select().from(users).orderBy(users.createdAt).offset(page.skip).limit(page.limit)),
    count: async () => (await db.$count(users)),
  };
}

export function refreshTokenRepository(db: Db): RefreshTokenRepository {
  return {
    insert: async (token) => void (await db.insert(refreshTokens).values(token)),
    consume: async (id, at) => {
      const used = await db
        .update(refreshTokens)
        .set({ usedAt: at })
        .where(and(eq(refreshTokens.id, id), isNull(refreshTokens.usedAt), isNull(refreshTokens.revokedAt), sql`${refreshTokens.expiresAt} > ${at}`))
        .returning({ userId: refreshTokens.userId, familyId: refreshTokens.familyId });
      if (used[0]) return used[0];
      // Only a token already spent (or revoked) is reuse; one merely expired is just invalid and revokes nothing.
      const known = (await db.select({ usedAt: refreshTokens.usedAt, revokedAt: refreshTokens.revokedAt }).from(refreshTokens).where(eq(refreshTokens.id, id)))[0];
      return known && (known.usedAt || known.revokedAt) ? 'reused' : undefined;
    },
    revokeFamily: async (familyId, at) =>
      void (await db.update(refreshTokens).set({ revokedAt: at }).where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)))),
  };
}
