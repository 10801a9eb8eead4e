import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { aUser, unique, type StoreAccessor } from './fixtures.ts';

export function usersContract(store: StoreAccessor) {
  describe('users', () => {
    test('insert returns the row with its defaults; find by id, email and username', async () => {
      const name = unique('Mixed');
      const user = await aUser(store(), { email: `${name}@Example.TEST`, username: name, fullName: 'Mixed Case' });
      expect(user).toMatchObject({ id: expect.any(String), role: 'user', isActive: true, fullName: 'Mixed Case', lastLoginAt: null, maxConcurrentSessions: 5 });
      expect(user.createdAt).toBeInstanceOf(Date);
      expect((await store().users.findById(user.id))?.email).toBe(`${name}@Example.TEST`);
      expect((await store().users.findByEmail(`${name.toLowerCase()}@example.test`))?.id).toBe(user.id);
      expect((await store().users.findByEmail(`${name.toUpperCase()}@EXAMPLE.TEST`))?.id).toBe(user.id);
      expect((await store().users.findByUsername(name.toUpperCase()))?.id).toBe(user.id);
    });

    test('unknown users are undefined', async () => {
      expect(await store().users.findById(randomUUID())).toBeUndefined();
      expect(await store().users.findByEmail(`${unique('nobody')}@example.test`)).toBeUndefined();
      expect(await store().users.findByUsername(unique('nobody'))).toBeUndefined();
    });

    test('an email or username differing only in case is refused as EMAIL_TAKEN', async () => {
      const user = await aUser(store());
      await expect(aUser(store(), { email: user.email.toUpperCase() })).rejects.toMatchObject({ name: 'DomainError', code: 'EMAIL_TAKEN' });
      await expect(aUser(store(), { username: user.username.toUpperCase() })).rejects.toMatchObject({ code: 'EMAIL_TAKEN' });
    });

    test('touchLogin records the time', async () => {
      const user = await aUser(store());
      const at = new Date('2030-01-02T03:04:05.000Z');
      await store().users.touchLogin(user.id, at);
      expect((await store().users.findById(user.id))?.lastLoginAt?.toISOString()).toBe(at.toISOString());
    });

    test('lockById reads the user inside a transaction', async () => {
      const user = await aUser(store());
      expect(await store().transaction((repos) => repos.users.lockById(user.id))).toMatchObject({ id: user.id });
      expect(await store().transaction((repos) => repos.users.lockById(randomUUID()))).toBeUndefined();
    });
  });

  describe('refresh tokens', () => {
    const token = (userId: string, familyId: string, expiresAt = new Date(Date.now() + 60_000)) => ({ id: randomUUID(), userId, familyId, expiresAt });

    test('a token is consumed once; presenting it again is reuse', async () => {
      const user = await aUser(store());
      const t = token(user.id, randomUUID());
      await store().refreshTokens.insert(t);
      expect(await store().refreshTokens.consume(t.id, new Date())).toEqual({ userId: user.id, familyId: t.familyId });
      expect(await store().refreshTokens.consume(t.id, new Date())).toBe('reused');
    });

    test('an unknown or expired token is invalid, not reuse', async () => {
      const user = await aUser(store());
      expect(await store().refreshTokens.consume(randomUUID(), new Date())).toBeUndefined();
      const expired = token(user.id, randomUUID(), new Date(Date.now() - 1000));
      await store().refreshTokens.insert(expired);
      expect(await store().refreshTokens.consume(expired.id, new Date())).toBeUndefined();
    });

    test('revoking a family revokes all its tokens and no others', async () => {
      const user = await aUser(store());
      const family = randomUUID();
      const [a, b, other] = [token(user.id, family), token(user.id, family), token(user.id, randomUUID())];
      for (const t of [a, b, other]) await store().refreshTokens.insert(t);
      await store().refreshTokens.revokeFamily(family, new Date());
      expect(await store().refreshTokens.consume(a.id, new Date())).toBe('reused');
      expect(await store().refreshTokens.consume(b.id, new Date())).toBe('reused');
      expect(await store().refreshTokens.consume(other.id, new Date())).toEqual({ userId: user.id, familyId: other.familyId });
    });

    test('two concurrent consumes of one token: exactly one wins', async () => {
      const user = await aUser(store());
      const t = token(user.id, randomUUID());
      await store().refreshTokens.insert(t);
      const outcomes = await Promise.all([store().refreshTokens.consume(t.id, new Date()), store().refreshTokens.consume(t.id, new Date())]);
      expect(outcomes.filter((o) => typeof o === 'object')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'reused')).toHaveLength(1);
    });
  });
}
