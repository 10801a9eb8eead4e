import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { AuditEntry, Page, ReportFormat, TaskExecution } from '../domain/entities.ts';
import { DomainError } from '../domain/errors.ts';
import { reportFileName, reportFileTypes, type Report, type ReportOptions } from '../domain/report.ts';
import { canSee, isAdmin, type Actor } from '../domain/roles.ts';
import type { Clock } from '../ports/clock.ts';
import type { ReportStorage } from '../ports/report-storage.ts';
import type { PageRequest, ReportFilter, Store } from '../ports/repositories.ts';
import { buildReportDocument, type ReportSubject } from '../reports/document.ts';
import { htmlReportPolicy, inlinePdfRenderer, renderReport, type PdfRenderer } from '../reports/render.ts';
import { auditOf } from './audit-service.ts';
import { assertCanWrite } from './session-service.ts';

export interface CreateReportInput {
  /** Exactly one of session_id and execution_id. */
  session_id?: string | undefined;
  execution_id?: string | undefined;
  format: ReportFormat;
  include_messages?: boolean | undefined;
  include_tool_calls?: boolean | undefined;
  include_metrics?: boolean | undefined;
  title?: string | undefined;
}

export interface ReportDownload {
  report: Report;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  stream: Readable;
  /** For a format a browser would run (HTML): the policy to send with it. */
  contentSecurityPolicy: string | undefined;
}

const reportNotFound = () => new DomainError('REPORT_NOT_FOUND', 'Report not found');

/**
 * Reports of a session or a task execution, in four formats: one document is built from the
 * store, rendered, written to disk, then recorded with its audit row in one transaction.
 */
export class ReportService {
  constructor(
    private readonly store: Store,
    private readonly files: ReportStorage,
    private readonly clock: Clock,
    private readonly pdf: PdfRenderer = inlinePdfRenderer,
  ) {}

  /** The actor's report of a session or an execution they may see; viewers may not create. */
  async create(actor: Actor, input: CreateReportInput): Promise<Report> {
    assertCanWrite(actor);
    const subject = await this.subjectFor(actor, input);
    return this.generate(actor.userId, subject, input.format, optionsOf(input, subject), (entry) => auditOf(actor, entry));
  }

  /** After a task run: a full report of the execution, owned by the execution's owner. */
  async generateForExecution(executionId: string, format: ReportFormat): Promise<Report> {
    const execution = await this.store.taskExecutions.findById(executionId);
    if (!execution) throw new DomainError('EXECUTION_NOT_FOUND', 'Task execution not found');
    const subject = await this.executionSubject(execution);
    return this.generate(execution.userId, subject, format, optionsOf({ format }, subject), (entry) => ({ ...entry, userId: execution.userId }));
  }

  /** One's own report, or anyone's for an admin; others' are not found. */
  async get(actor: Actor, id: string): Promise<Report> {
    const report = await this.store.reports.findById(id);
    if (!report || !canSee(actor, report.userId)) throw reportNotFound();
    return report;
  }

  list(actor: Actor, filter: Omit<ReportFilter, 'userId'>, page: PageRequest): Promise<Page<Report>> {
    return this.store.reports.list({ ...filter, userId: isAdmin(actor) ? undefined : actor.userId }, page);
  }

  async download(actor: Actor, id: string): Promise<ReportDownload> {
    const report = await this.get(actor, id);
    const file = await this.files.open(report.filePath);
    if (!file) throw new DomainError('REPORT_NOT_FOUND', "The report's file no longer exists");
    return {
      report,
      fileName: reportFileName(report),
      contentType: reportFileTypes[report.format].contentType,
      sizeBytes: file.sizeBytes,
      stream: file.stream,
      contentSecurityPolicy: report.format === 'html' ? htmlReportPolicy : undefined,
    };
  }

  async delete(actor: Actor, id: string): Promise<void> {
    const report = await this.get(actor, id);
    assertCanWrite(actor);
    await this.store.transaction(async (repos) => {
      if (!(await repos.reports.delete(id))) throw reportNotFound();
      await repos.audit.insert(auditOf(actor, { eventType: 'report.deleted', category: categoryOf(report), resourceType: 'report', resourceId: id, details: { format: report.format } }));
    });
    // After the row: a file left by a failed removal is garbage, never a listed report without its file.
    await this.files.remove(report.filePath);
  }

  private async generate(
    ownerId: string,
    subject: ReportSubject,
    format: ReportFormat,
    options: ReportOptions,
    audited: (entry: Omit<AuditEntry, 'userId' | 'ip' | 'userAgent'>) => AuditEntry,
  ): Promise<Report> {
    const id = randomUUID();
    const document = await buildReportDocument(this.store, subject, options, this.clock.now());
    const content = await renderReport(document, format, this.pdf);
    const file = await this.files.save(ownerId, id, reportFileTypes[format].extension, content);
    const sessionId = subject.session?.id ?? null;
    const executionId = subject.execution?.id ?? null;
    try {
      return await this.store.transaction(async (repos) => {
        const report = await repos.reports.insert({ id, userId: ownerId, sessionId, executionId, format, filePath: file.path, fileSizeBytes: file.sizeBytes, options });
        await repos.audit.insert(
          audited({
            eventType: 'report.generated',
            category: categoryOf(report),
            resourceType: 'report',
            resourceId: id,
            details: { format, session_id: sessionId, execution_id: executionId, size_bytes: file.sizeBytes },
          }),
        );
        return report;
      });
    } catch (error) {
      await this.files.remove(file.path);
      throw error;
    }
  }

  private async subjectFor(actor: Actor, input: CreateReportInput): Promise<ReportSubject> {
    const { session_id: sessionId, execution_id: executionId } = input;
    if (sessionId !== undefined && executionId === undefined) {
      const session = await this.store.sessions.findById(sessionId);
      if (!session || !canSee(actor, session.userId)) throw new DomainError('SESSION_NOT_FOUND', 'Session not found');
      return { session, execution: null, taskName: null };
    }
    if (executionId !== undefined && sessionId === undefined) {
      const execution = await this.store.taskExecutions.findById(executionId);
      if (!execution || !canSee(actor, execution.userId)) throw new DomainError('EXECUTION_NOT_FOUND', 'Task execution not found');
      return this.executionSubject(execution);
    }
    throw new DomainError('VALIDATION_ERROR', 'Give exactly one of session_id and execution_id');
  }

  private async executionSubject(execution: TaskExecution): Promise<ReportSubject> {
    const [session, task] = await Promise.all([execution.sessionId ? this.store.sessions.findById(execution.sessionId) : undefined, this.store.tasks.findById(execution.taskId)]);
    return { session: session ?? null, execution, taskName: task?.name ?? null };
  }
}

function optionsOf(input: Omit<CreateReportInput, 'session_id' | 'execution_id'>, subject: ReportSubject): ReportOptions {
  const { session, execution, taskName } = subject;
  const defaultTitle = execution ? `Task report: ${taskName ?? execution.taskId}` : `Session report: ${session?.name ?? session?.id ?? ''}`;
  return {
    include_messages: input.include_messages ?? true,
    include_tool_calls: input.include_tool_calls ?? true,
    include_metrics: input.include_metrics ?? true,
    title: input.title ?? defaultTitle,
  };
}

const categoryOf = (report: Pick<Report, 'executionId'>) => (report.executionId ? 'task' : 'session');
