import type { ReportFormat } from '../domain/entities.ts';
import type { ReportDocument } from './document.ts';
import { renderHtml } from './html.ts';
import { renderJson } from './json.ts';
import { renderMarkdown } from './markdown.ts';
import { renderPdf } from './pdf.ts';

export interface PdfRenderer {
  render(doc: ReportDocument): Promise<Uint8Array>;
}

/** On the calling thread: for tests and scripts. The server renders on a PdfThread. */
export const inlinePdfRenderer: PdfRenderer = { render: renderPdf };

/** The document in one format, as the bytes of its file. */
export async function renderReport(doc: ReportDocument, format: ReportFormat, pdf: PdfRenderer = inlinePdfRenderer): Promise<Uint8Array> {
  switch (format) {
    case 'json':
      return Buffer.from(renderJson(doc));
    case 'markdown':
      return Buffer.from(renderMarkdown(doc));
    case 'html':
      return Buffer.from(renderHtml(doc));
    case 'pdf':
      return pdf.render(doc);
  }
}

export { htmlReportPolicy } from './html.ts';
