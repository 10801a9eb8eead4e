import type { ReportDocument, ReportMessage } from './document.ts';
import { messageHeading, messageNotes, metadataRows, metricRows, omittedNote, toolCallCells, toolCallHeaders } from './view.ts';

// Every character Markdown could read as syntax mid-line (these values never start a line).
const escape = (text: string) => text.replace(/[\\`*_[\]<>|~&]/g, '\\$&');

/** Text shown as it is, on one line. */
const inline = (text: string) => escape(text.replace(/\s*\r?\n\s*/g, ' '));

/** A table cell: as inline text, with line breaks kept as <br> (a raw newline would end the row). */
const cell = (text: string) =>
  text
    .split(/\r?\n/)
    .map(escape)
    .join('<br>');

const table = (headers: string[], rows: string[][]) => [
  `| ${headers.map(cell).join(' | ')} |`,
  `| ${headers.map(() => '---').join(' | ')} |`,
  ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
];

/** The agent writes Markdown: its text keeps its formatting, quoted so its headings stay inside the message. */
const quoted = (text: string) =>
  text
    .split(/\r?\n/)
    .map((line) => (line ? `> ${line}` : '>'))
    .join('\n');

function message(m: ReportMessage): string[] {
  const lines = [`### ${inline(messageHeading(m))}`, ''];
  if (m.text) lines.push(quoted(m.text), '');
  const notes = messageNotes(m);
  if (notes.length > 0) lines.push(...notes.map((note) => `- ${inline(note)}`), '');
  return lines;
}

export function renderMarkdown(doc: ReportDocument): string {
  const lines = [`# ${inline(doc.title)}`, '', '## Details', ''];
  lines.push(...metadataRows(doc).map(([label, value]) => `- **${label}:** ${inline(value)}`), '');
  if (doc.messages) {
    lines.push('## Conversation', '');
    if (doc.messages.length === 0) lines.push('No messages.', '');
    for (const m of doc.messages) lines.push(...message(m));
    const omitted = omittedNote(doc.omitted.messages, 'messages');
    if (omitted) lines.push(`_${inline(omitted)}_`, '');
  }
  if (doc.tool_calls) {
    lines.push('## Tool calls', '');
    if (doc.tool_calls.length === 0) lines.push('No tool calls.', '');
    else lines.push(...table(toolCallHeaders, doc.tool_calls.map(toolCallCells)), '');
    const omitted = omittedNote(doc.omitted.tool_calls, 'tool calls');
    if (omitted) lines.push(`_${inline(omitted)}_`, '');
  }
  if (doc.metrics) lines.push('## Metrics', '', ...table(['Metric', 'Value'], metricRows(doc.metrics)), '');
  return `${lines.join('\n').trimEnd()}\n`;
}
