import { describe, expect, test } from 'vitest';
import { aSession, aUser, unique, type StoreAccessor } from './fixtures.ts';

export function transactionsContract(store: StoreAccessor) {
  describe('transactions', () => {
    test('a failed transaction leaves nothing behind and rethrows', async () => {
      const name = unique('rollback');
      let userId = '';
      const failure = new Error('changed my mind');
      await expect(
        store().transaction(async (repos) => {
          const user = await aUser(repos, { email: `${name}@example.test`, username: name });
          userId = user.id;
          await aSession(repos, user.id);
          await repos.audit.insert({ eventType: 'test.rollback', category: 'system', userId: user.id });
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(userId).not.toBe('');
      expect(await store().users.findByEmail(`${name}@example.test`)).toBeUndefined();
      expect((await store().sessions.list({ userId }, { skip: 0, limit: 1 })).total).toBe(0);
      expect((await store().audit.list({ userId }, { skip: 0, limit: 1 })).total).toBe(0);
    });

    test('a failing statement rolls back the writes before it', async () => {
      const existing = await aUser(store());
      const name = unique('partial');
      await expect(
        store().transaction(async (repos) => {
          await aUser(repos, { email: `${name}@example.test`, username: name });
          await aUser(repos, { email: existing.email });
        }),
      ).rejects.toThrow();
      expect(await store().users.findByUsername(name)).toBeUndefined();
    });

    test('a successful transaction commits everything and returns its value', async () => {
      const result = await store().transaction(async (repos) => {
        const user = await aUser(repos);
        const session = await aSession(repos, user.id);
        return { user, session };
      });
      expect((await store().users.findById(result.user.id))?.email).toBe(result.user.email);
      expect((await store().sessions.findById(result.session.id))?.userId).toBe(result.user.id);
    });
  });
}
