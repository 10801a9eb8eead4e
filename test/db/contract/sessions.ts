import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { aSession, aUser, unique, nextInstant, type StoreAccessor } from './fixtures.ts';

export function sessionsContract(store: StoreAccessor) {
  describe('sessions', () => {
    test('insert applies the defaults and round-trips options', async () => {
      const user = await aUser(store());
      const session = await aSession(store(), user.id, { name: 'one', sdkOptions: { max_turns: 4, allowed_tools: ['Read'] } });
      expect(session).toMatchObject({ userId: user.id, name: 'one', status: 'created', isFork: false, parentSessionId: null, totalMessages: 0, totalCostUsd: 0, lastSeq: 0, completedAt: null });
      expect(await store().sessions.findById(session.id)).toMatchObject({ id: session.id, sdkOptions: { max_turns: 4, allowed_tools: ['Read'] } });
      expect(await store().sessions.findById(randomUUID())).toBeUndefined();
    });

    test('list filters by user, status and mode, newest first, with a total', async () => {
      const user = await aUser(store());
      const a = await aSession(store(), user.id, { name: 'a' });
      await nextInstant();
      const b = await aSession(store(), user.id, { name: 'b', mode: 'non_interactive' });
      await nextInstant();
      const c = await aSession(store(), user.id, { name: 'c' });
      await store().sessions.transition(c.id, ['created'], 'terminated');
      const ids = async (filter: Parameters<ReturnType<StoreAccessor>['sessions']['list']>[0], skip = 0, limit = 10) => {
        const page = await store().sessions.list(filter, { skip, limit });
        return { total: page.total, ids: page.items.map((s) => s.id) };
      };
      expect(await ids({ userId: user.id })).toEqual({ total: 3, ids: [c.id, b.id, a.id] });
      expect(await ids({ userId: user.id }, 1, 1)).toEqual({ total: 3, ids: [b.id] });
      expect(await ids({ userId: user.id, status: 'terminated' })).toEqual({ total: 1, ids: [c.id] });
      expect(await ids({ userId: user.id, mode: 'non_interactive' })).toEqual({ total: 1, ids: [b.id] });
      expect(await ids({ userId: user.id, status: 'created', mode: 'interactive' })).toEqual({ total: 1, ids: [a.id] });
      expect((await store().sessions.list({}, { skip: 0, limit: 1 })).total).toBeGreaterThanOrEqual(3);
    });

    test('countLive counts only live sessions of that user; countByStatus counts everyone\'s', async () => {
      const user = await aUser(store());
      const other = await aUser(store());
      const a = await aSession(store(), user.id);
      await aSession(store(), user.id);
      await aSession(store(), other.id);
      expect(await store().sessions.countLive(user.id)).toBe(2);
      await store().sessions.transition(a.id, ['created'], 'terminated');
      expect(await store().sessions.countLive(user.id)).toBe(1);
      const byStatus = await store().sessions.countByStatus();
      expect(byStatus.created).toBeGreaterThanOrEqual(2);
      expect(byStatus.terminated).toBeGreaterThanOrEqual(1);
    });

    test('transition is a compare-and-set on status', async () => {
      const user = await aUser(store());
      const session = await aSession(store(), user.id);
      const startedAt = new Date('2030-01-01T00:00:00.000Z');
      const moved = await store().sessions.transition(session.id, ['created'], 'connecting', { startedAt });
      expect(moved).toMatchObject({ status: 'connecting' });
      expect(moved?.startedAt?.toISOString()).toBe(startedAt.toISOString());
      expect(await store().sessions.transition(session.id, ['created'], 'active')).toBeUndefined();
      expect((await store().sessions.findById(session.id))?.status).toBe('connecting');
      expect(await store().sessions.transition(session.id, ['created', 'connecting'], 'failed', { errorMessage: 'boom' })).toMatchObject({ status: 'failed', errorMessage: 'boom' });
    });

    test('of two concurrent transitions from one status, exactly one wins', async () => {
      const user = await aUser(store());
      const session = await aSession(store(), user.id);
      const results = await Promise.all([
        store().sessions.transition(session.id, ['created'], 'connecting'),
        store().sessions.transition(session.id, ['created'], 'terminated'),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store().sessions.findById(session.id))?.status).toBe(results.find(Boolean)?.status);
    });

    test('addTotals adds, and missing fields add nothing', async () => {
      const user = await aUser(store());
      const session = await aSession(store(), user.id);
      await store().sessions.addTotals(session.id, { messages: 2, toolCalls: 1, costUsd: 0.25, inputTokens: 100, outputTokens: 50, cacheCreationTokens: 7, cacheReadTokens: 3 });
      await store().sessions.addTotals(session.id, { messages: 1, costUsd: 0.5 });
      expect(await store().sessions.findById(session.id)).toMatchObject({
        totalMessages: 3,
        totalToolCalls: 1,
        totalCostUsd: 0.75,
        apiInputTokens: 100,
        apiOutputTokens: 50,
        apiCacheCreationTokens: 7,
        apiCacheReadTokens: 3,
      });
    });

    test('update changes the given fields; findByStatus finds by status', async () => {
      const user = await aUser(store());
      const session = await aSession(store(), user.id, { name: 'before' });
      await store().sessions.update(session.id, { name: 'after', agentSessionId: 'agent-1' });
      expect(await store().sessions.findById(session.id)).toMatchObject({ name: 'after', agentSessionId: 'agent-1', status: 'created' });
      await store().sessions.transition(session.id, ['created'], 'connecting');
      expect((await store().sessions.findByStatus(['connecting'])).map((s) => s.id)).toContain(session.id);
      expect((await store().sessions.findByStatus(['paused'])).map((s) => s.id)).not.toContain(session.id);
    });

    test('findByStatus narrows to the sessions one runner holds', async () => {
      const user = await aUser(store());
      const session = await aSession(store(), user.id);
      const runner = unique('runner');
      await store().sessions.transition(session.id, ['created'], 'connecting', { runnerId: runner });
      expect((await store().sessions.findByStatus(['connecting'], runner)).map((s) => s.id)).toEqual([session.id]);
      expect((await store().sessions.findByStatus(['connecting'], unique('other-runner'))).map((s) => s.id)).toEqual([]);
    });
  });
}
