import { Readable } from 'node:stream';
import { expect, test } from 'vitest';
import type { AuditEntry } from '../../src/domain/entities.ts';
import type { Report } from '../../src/domain/report.ts';
import type { ReportStorage } from '../../src/ports/report-storage.ts';
import type { Repositories, Store } from '../../src/ports/repositories.ts';
import { ReportService } from '../../src/services/report-service.ts';
import { aConversation, anExecution, aSession, at, fakeRepos } from './fixtures.ts';

/** Files in memory; every call is recorded. */
function memoryFiles() {
  const files = new Map<string, Uint8Array>();
  const storage: ReportStorage = {
    save: async (userId, reportId, extension, content) => {
      const path = `reports/${userId}/${reportId}.${extension}`;
      files.set(path, content);
      return { path, sizeBytes: content.byteLength };
    },
    open: async (path) => {
      const content = files.get(path);
      return content && { stream: Readable.from([content]), sizeBytes: content.byteLength };
    },
    remove: async (path) => void files.delete(path),
  };
  return { storage, files };
}

/** A store with only what report generation reads and writes; `failInsert` makes the row's transaction fail. */
function fakeStore(options: { failInsert?: boolean } = {}) {
  const session = aSession();
  const execution = anExecution({ sessionId: session.id, userId: session.userId, status: 'completed', errorMessage: null });
  const { repos } = fakeRepos(aConversation(session.id));
  const reports: Report[] = [];
  const audit: AuditEntry[] = [];
  const inTransaction = {
    reports: {
      insert: async (report: Omit<Report, 'createdAt'>) => {
        if (options.failInsert) throw new Error('the database went away');
        const row = { ...report, createdAt: at(59) };
        reports.push(row);
        return row;
      },
    },
    audit: { insert: async (entry: AuditEntry) => void audit.push(entry) },
  };
  const store = {
    ...repos,
    sessions: { findById: async (id: string) => (id === session.id ? session : undefined) },
    taskExecutions: { findById: async (id: string) => (id === execution.id ? execution : undefined) },
    tasks: { findById: async (id: string) => (id === execution.taskId ? { name: 'Nightly audit' } : undefined) },
    transaction: async <T>(work: (r: Repositories) => Promise<T>) => work(inTransaction as unknown as Repositories),
  } as unknown as Store;
  return { store, session, execution, reports, audit };
}

const clock = { now: () => at(59) };

test('generateForExecution: a full report owned by the execution\'s owner, audited under them', async () => {
  const { store, session, execution, reports, audit } = fakeStore();
  const { storage, files } = memoryFiles();
  const report = await new ReportService(store, storage, clock).generateForExecution(execution.id, 'markdown');
  expect(report).toMatchObject({
    userId: execution.userId,
    sessionId: session.id,
    executionId: execution.id,
    format: 'markdown',
    options: { include_messages: true, include_tool_calls: true, include_metrics: true, title: 'Task report: Nightly audit' },
  });
  expect(reports).toEqual([report]);
  const text = Buffer.from(files.get(report.filePath)!).toString();
  expect(text).toContain('- **Task:** Nightly audit');
  expect(text).toContain('| Write | success |');
  expect(audit).toEqual([
    {
      eventType: 'report.generated',
      category: 'task',
      userId: execution.userId,
      resourceType: 'report',
      resourceId: report.id,
      details: { format: 'markdown', session_id: session.id, execution_id: execution.id, size_bytes: report.fileSizeBytes },
    },
  ]);
  await expect(new ReportService(store, storage, clock).generateForExecution(crypto.randomUUID(), 'json')).rejects.toMatchObject({ code: 'EXECUTION_NOT_FOUND' });
});

test('a report whose row cannot be written leaves no file behind', async () => {
  const { store, session } = fakeStore({ failInsert: true });
  const { storage, files } = memoryFiles();
  const service = new ReportService(store, storage, clock);
  await expect(service.create({ userId: session.userId, role: 'user' }, { session_id: session.id, format: 'html' })).rejects.toThrow('the database went away');
  expect(files.size).toBe(0);
});
