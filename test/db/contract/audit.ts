import { describe, expect, test } from 'vitest';
import { aUser, unique, type StoreAccessor } from './fixtures.ts';

export function auditContract(store: StoreAccessor) {
  describe('audit', () => {
    test('list filters by user, event type, category and time, newest first', async () => {
      const user = await aUser(store());
      const other = await aUser(store());
      const [typeA, typeB] = [unique('test.a'), unique('test.b')];
      const before = new Date(Date.now() - 1000);
      await store().audit.insert({ eventType: typeA, category: 'system', userId: user.id, details: { n: 1 } });
      await store().audit.insert({ eventType: typeB, category: 'session', userId: user.id, resourceType: 'session', resourceId: 'r1', ip: '10.0.0.1' });
      await store().audit.insert({ eventType: typeA, category: 'system', userId: other.id });
      const page = { skip: 0, limit: 10 };

      const own = await store().audit.list({ userId: user.id }, page);
      expect(own.total).toBe(2);
      expect(own.items.map((r) => r.eventType)).toEqual([typeB, typeA]);
      expect(own.items[0]).toMatchObject({ resourceType: 'session', resourceId: 'r1', ip: '10.0.0.1', details: {} });
      expect(own.items[1]).toMatchObject({ details: { n: 1 }, resourceId: null });

      expect((await store().audit.list({ eventType: typeA }, page)).items.map((r) => r.userId).sort()).toEqual([user.id, other.id].sort());
      expect((await store().audit.list({ userId: user.id, category: 'session' }, page)).items.map((r) => r.eventType)).toEqual([typeB]);
      expect((await store().audit.list({ userId: user.id, since: before }, page)).total).toBe(2);
      expect((await store().audit.list({ userId: user.id, until: before }, page)).total).toBe(0);
      expect((await store().audit.list({ userId: user.id }, { skip: 1, limit: 1 })).items.map((r) => r.eventType)).toEqual([typeA]);
    });
  });
}
