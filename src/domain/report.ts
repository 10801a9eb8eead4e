import type { ReportFormat } from './entities.ts';

/** What a report was asked to hold; stored with it as given (the title as resolved). */
export interface ReportOptions {
  include_messages: boolean;
  include_tool_calls: boolean;
  include_metrics: boolean;
  title: string;
}

/** A generated report: a file on disk, owned by one user, about one session or one task execution. */
export interface Report {
  id: string;
  userId: string;
  sessionId: string | null;
  executionId: string | null;
  format: ReportFormat;
  /** Relative to the data dir: reports/<user_id>/<report_id>.<ext>. */
  filePath: string;
  fileSizeBytes: number;
  options: ReportOptions;
  createdAt: Date;
}

export const reportFileTypes: Record<ReportFormat, { extension: string; contentType: string }> = {
  json: { extension: 'json', contentType: 'application/json' },
  markdown: { extension: 'md', contentType: 'text/markdown; charset=utf-8' },
  html: { extension: 'html', contentType: 'text/html; charset=utf-8' },
  pdf: { extension: 'pdf', contentType: 'application/pdf' },
};

/**
 * The name a download is saved under: the title reduced to ASCII letters, digits and dashes (safe in
 * a Content-Disposition header and on every file system), then the start of the id, which keeps
 * names of same-titled reports apart.
 */
export function reportFileName(report: Pick<Report, 'id' | 'format' | 'options'>): string {
  const slug = report.options.title
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return `${slug || 'report'}-${report.id.slice(0, 8)}.${reportFileTypes[report.format].extension}`;
}
