import { describe, expect, test } from 'vitest';
import { aSession, aUser, type StoreAccessor } from './fixtures.ts';

export function sessionEventsContract(store: StoreAccessor) {
  describe('session events', () => {
    test('an event is stored once per seq and advances the session\'s last seq', async () => {
      const user = await aUser(store());
      const session = await aSession(store(), user.id);
      expect(await store().sessionEvents.lastSeq(session.id)).toBe(0);
      for (const seq of [1, 2, 3]) expect(await store().sessionEvents.insert(session.id, seq, { seq, type: 'text' })).toBe(true);
      expect(await store().sessionEvents.insert(session.id, 2, { seq: 2, type: 'duplicate' })).toBe(false);
      expect(await store().sessionEvents.lastSeq(session.id)).toBe(3);
      expect((await store().sessions.findById(session.id))?.lastSeq).toBe(3);
      expect(await store().sessionEvents.listAfter(session.id, 1, 10)).toEqual([
        { seq: 2, type: 'text' },
        { seq: 3, type: 'text' },
      ]);
      expect(await store().sessionEvents.listAfter(session.id, 0, 1)).toEqual([{ seq: 1, type: 'text' }]);
    });

    test('a late event with a lower seq does not move last seq back', async () => {
      const user = await aUser(store());
      const session = await aSession(store(), user.id);
      await store().sessionEvents.insert(session.id, 5, { seq: 5 });
      await store().sessionEvents.insert(session.id, 4, { seq: 4 });
      expect(await store().sessionEvents.lastSeq(session.id)).toBe(5);
      expect(await store().sessionEvents.listAfter(session.id, 0, 10)).toEqual([{ seq: 4 }, { seq: 5 }]);
    });

    test('concurrent inserts of one seq: exactly one is stored', async () => {
      const user = await aUser(store());
      const session = await aSession(store(), user.id);
      const outcomes = await Promise.all(Array.from({ length: 4 }, (_, i) => store().sessionEvents.insert(session.id, 1, { writer: i })));
      expect(outcomes.filter(Boolean)).toHaveLength(1);
      expect(await store().sessionEvents.listAfter(session.id, 0, 10)).toHaveLength(1);
    });
  });
}
