import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { Report } from '../../../src/domain/report.ts';
import { aSession, aUser, nextInstant, type StoreAccessor } from './fixtures.ts';

export function reportsContract(store: StoreAccessor) {
  describe('reports', () => {
    const aReport = (userId: string, overrides: Partial<Omit<Report, 'createdAt'>> = {}) => {
      const id = randomUUID();
      return store().reports.insert({
        id,
        userId,
        sessionId: null,
        executionId: null,
        format: 'markdown',
        filePath: `reports/${userId}/${id}.md`,
        fileSizeBytes: 123,
        options: { include_messages: true, include_tool_calls: false, include_metrics: true, title: 'A <title> | with "quotes"' },
        ...overrides,
      });
    };

    test('insert round-trips every field; findById misses an unknown id', async () => {
      const user = await aUser(store());
      const session = await aSession(store(), user.id);
      const executionId = randomUUID();
      const report = await aReport(user.id, { sessionId: session.id, executionId, format: 'pdf', fileSizeBytes: 5_000_000_000 });
      expect(report).toMatchObject({ userId: user.id, sessionId: session.id, executionId, format: 'pdf', fileSizeBytes: 5_000_000_000 });
      expect(report.createdAt).toBeInstanceOf(Date);
      expect(await store().reports.findById(report.id)).toEqual(report);
      expect(report.options).toEqual({ include_messages: true, include_tool_calls: false, include_metrics: true, title: 'A <title> | with "quotes"' });
      expect(await store().reports.findById(randomUUID())).toBeUndefined();
    });

    test("totalSizeForUser sums the user's report files only; none is 0", async () => {
      const [user, other, empty] = [await aUser(store()), await aUser(store()), await aUser(store())];
      await aReport(user.id, { fileSizeBytes: 3_000_000_000 });
      await aReport(user.id, { fileSizeBytes: 1234 });
      await aReport(other.id, { fileSizeBytes: 99 });
      expect(await store().reports.totalSizeForUser(user.id)).toBe(3_000_001_234);
      expect(await store().reports.totalSizeForUser(empty.id)).toBe(0);
    });

    test('list filters by user, session and execution, newest first, with a total', async () => {
      const [user, other] = [await aUser(store()), await aUser(store())];
      const session = await aSession(store(), user.id);
      const executionId = randomUUID();
      const a = await aReport(user.id, { sessionId: session.id });
      await nextInstant();
      const b = await aReport(user.id, { executionId });
      await nextInstant();
      const c = await aReport(user.id, { sessionId: session.id, format: 'json' });
      const theirs = await aReport(other.id);
      const ids = async (filter: Parameters<ReturnType<StoreAccessor>['reports']['list']>[0], skip = 0, limit = 10) => {
        const page = await store().reports.list(filter, { skip, limit });
        return { total: page.total, ids: page.items.map((r) => r.id) };
      };
      expect(await ids({ userId: user.id })).toEqual({ total: 3, ids: [c.id, b.id, a.id] });
      expect(await ids({ userId: user.id }, 1, 1)).toEqual({ total: 3, ids: [b.id] });
      expect(await ids({ userId: user.id, sessionId: session.id })).toEqual({ total: 2, ids: [c.id, a.id] });
      expect(await ids({ executionId })).toEqual({ total: 1, ids: [b.id] });
      expect(await ids({ userId: other.id })).toEqual({ total: 1, ids: [theirs.id] });
      expect((await store().reports.list({}, { skip: 0, limit: 1 })).total).toBeGreaterThanOrEqual(4);
    });

    test('delete removes the row, once', async () => {
      const user = await aUser(store());
      const report = await aReport(user.id);
      expect(await store().reports.delete(report.id)).toBe(true);
      expect(await store().reports.delete(report.id)).toBe(false);
      expect(await store().reports.findById(report.id)).toBeUndefined();
    });
  });
}
