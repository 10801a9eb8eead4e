import { createHash } from 'node:crypto';
import type { ReportDocument, ReportMessage } from './document.ts';
import { messageHeading, messageNotes, metadataRows, metricRows, omittedNote, toolCallCells, toolCallHeaders, type Row } from './view.ts';

const style = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;margin:0;background:#f6f8fa}
main{max-width:1100px;margin:0 auto;padding:24px;background:#fff}
h1{font-size:24px;margin:0 0 16px}h2{font-size:18px;border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:32px}
h3{font-size:13px;color:#59636e;margin:0 0 4px;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f6f8fa}dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
article{border-left:3px solid #d0d7de;padding:4px 12px;margin:12px 0}article.user{border-color:#0969da}article.assistant{border-color:#1a7f37}
article.error{border-color:#cf222e}.text{white-space:pre-wrap;overflow-wrap:anywhere}
ul.notes{margin:4px 0 0;padding-left:20px;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;overflow-wrap:anywhere}
.muted{color:#59636e}code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
`.trim();

/**
 * Nothing but this exact style sheet may apply; no script, frame, image, font or connection at
 * all. The same policy is sent as a header when the file is downloaded.
 */
export const htmlReportPolicy = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Every string from a user or an agent goes through here, in text and in attributes alike. */
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => entities[c] ?? c);

const cells = (tag: 'td' | 'th', values: string[]) => values.map((v) => `<${tag}>${escapeHtml(v)}</${tag}>`).join('');

function table(headers: string[], rows: string[][]): string {
  return `<table><thead><tr>${cells('th', headers)}</tr></thead><tbody>${rows.map((row) => `<tr>${cells('td', row)}</tr>`).join('\n')}</tbody></table>`;
}

const definitions = (rows: Row[]) => `<dl>${rows.map(([label, value]) => `<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd>`).join('')}</dl>`;

function message(m: ReportMessage): string {
  const notes = messageNotes(m);
  return [
    `<article class="${escapeHtml(m.type)}">`,
    `<h3>${escapeHtml(messageHeading(m))}</h3>`,
    m.text ? `<div class="text">${escapeHtml(m.text)}</div>` : '',
    notes.length > 0 ? `<ul class="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : '',
    '</article>',
  ].join('');
}

const omitted = (count: number, what: string) => {
  const note = omittedNote(count, what);
  return note ? `<p class="muted">${escapeHtml(note)}</p>` : '';
};

export function renderHtml(doc: ReportDocument): string {
  const parts = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(htmlReportPolicy)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${escapeHtml(doc.title)}</title>`,
    `<style>${style}</style>`,
    '</head><body><main>',
    `<h1>${escapeHtml(doc.title)}</h1>`,
    `<section><h2>Details</h2>${definitions(metadataRows(doc))}</section>`,
  ];
  if (doc.messages) {
    const body = doc.messages.length > 0 ? doc.messages.map(message).join('\n') : '<p class="muted">No messages.</p>';
    parts.push(`<section><h2>Conversation</h2>\n${body}${omitted(doc.omitted.messages, 'messages')}</section>`);
  }
  if (doc.tool_calls) {
    const body = doc.tool_calls.length > 0 ? table(toolCallHeaders, doc.tool_calls.map(toolCallCells)) : '<p class="muted">No tool calls.</p>';
    parts.push(`<section><h2>Tool calls</h2>${body}${omitted(doc.omitted.tool_calls, 'tool calls')}</section>`);
  }
  if (doc.metrics) parts.push(`<section><h2>Metrics</h2>${table(['Metric', 'Value'], metricRows(doc.metrics))}</section>`);
  parts.push('</main></body></html>');
  return `${parts.join('\n')}\n`;
}
