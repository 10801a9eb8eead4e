import { describe, expect, test } from 'vitest';
import { aSession, aUser, type StoreAccessor } from './fixtures.ts';

export function conversationContract(store: StoreAccessor) {
  describe('messages', () => {
    test('sequence numbers count up from 1 per session', async () => {
      const user = await aUser(store());
      const [a, b] = [await aSession(store(), user.id), await aSession(store(), user.id)];
      const inA = [];
      for (const type of ['user', 'assistant', 'result'] as const) inA.push(await store().messages.insert({ sessionId: a.id, messageType: type, content: { type } }));
      const inB = await store().messages.insert({ sessionId: b.id, messageType: 'user', content: { text: 'hi' }, model: 'm' });
      expect(inA.map((m) => m.sequenceNumber)).toEqual([1, 2, 3]);
      expect(inB).toMatchObject({ sequenceNumber: 1, model: 'm', content: { text: 'hi' } });
      const page = await store().messages.list(a.id, { skip: 1, limit: 10 });
      expect(page.total).toBe(3);
      expect(page.items.map((m) => [m.sequenceNumber, m.messageType])).toEqual([
        [2, 'assistant'],
        [3, 'result'],
      ]);
    });
  });

  describe('tool calls', () => {
    test('upsertStarted is idempotent per tool use; complete records the outcome and the duration', async () => {
      const user = await aUser(store());
      const session = await aSession(store(), user.id);
      const started = await store().toolCalls.upsertStarted({ sessionId: session.id, toolName: 'Write', toolUseId: 'toolu_1', input: { path: 'a' } });
      expect(started).toMatchObject({ status: 'running', input: { path: 'a' }, durationMs: null, completedAt: null });
      const again = await store().toolCalls.upsertStarted({ sessionId: session.id, toolName: 'Write', toolUseId: 'toolu_1', input: { path: 'b' } });
      expect(again.id).toBe(started.id);
      expect(again.input).toEqual({ path: 'b' });

      const completedAt = new Date(started.createdAt.getTime() + 1500);
      const done = await store().toolCalls.complete(session.id, 'toolu_1', { status: 'success', output: { bytes: 3 }, completedAt });
      expect(done).toMatchObject({ id: started.id, status: 'success', output: { bytes: 3 } });
      expect(done?.durationMs).toBeGreaterThanOrEqual(1499);
      expect(done?.durationMs).toBeLessThanOrEqual(1501);
      expect(await store().toolCalls.findByToolUseId(session.id, 'toolu_1')).toMatchObject({ status: 'success', durationMs: done?.durationMs });
      expect(await store().toolCalls.complete(session.id, 'toolu_unknown', { status: 'error', completedAt })).toBeUndefined();
    });

    test('the same tool use id in two sessions is two calls; list is per session', async () => {
      const user = await aUser(store());
      const [a, b] = [await aSession(store(), user.id), await aSession(store(), user.id)];
      await store().toolCalls.upsertStarted({ sessionId: a.id, toolName: 'Read', toolUseId: 'toolu_x', input: {} });
      await store().toolCalls.upsertStarted({ sessionId: b.id, toolName: 'Bash', toolUseId: 'toolu_x', input: {} });
      await store().toolCalls.upsertStarted({ sessionId: a.id, toolName: 'Grep', toolUseId: 'toolu_y', input: {} });
      const listed = await store().toolCalls.list(a.id, { skip: 0, limit: 10 });
      expect(listed.total).toBe(2);
      expect(listed.items.map((t) => t.toolName)).toEqual(['Read', 'Grep']);
      expect((await store().toolCalls.findByToolUseId(b.id, 'toolu_x'))?.toolName).toBe('Bash');
    });
  });
}
