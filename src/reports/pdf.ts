import pdfmake from 'pdfmake';
import type { ReportDocument, ReportMessage } from './document.ts';
import { messageHeading, messageNotes, metadataRows, metricRows, omittedNote, toolCallCells, toolCallHeaders, type Row } from './view.ts';

/**
 * PDF reports with pdfmake and the 14 standard PDF fonts: no browser, no font files, text that
 * copies and extracts. A document can neither fetch a URL nor read a local file: the only local
 * names it may open are the standard fonts, which pdfkit carries as built-in metrics.
 */
const standardFonts = {
  Helvetica: { normal: 'Helvetica', bold: 'Helvetica-Bold', italics: 'Helvetica-Oblique', bolditalics: 'Helvetica-BoldOblique' },
  Courier: { normal: 'Courier', bold: 'Courier-Bold', italics: 'Courier-Oblique', bolditalics: 'Courier-BoldOblique' },
};
const fontNames = new Set(Object.values(standardFonts).flatMap((files) => Object.values(files)));
pdfmake.setFonts(standardFonts);
pdfmake.setUrlAccessPolicy(() => false);
pdfmake.setLocalAccessPolicy((path) => fontNames.has(path));

type Inline = string | { text: string; wordBreak: 'break-all' };

/**
 * The standard fonts encode WinAnsi (Latin-1 and a few typographic signs) only; pdfkit writes any
 * other character as bytes of unrelated ones. Those become '?', tabs become spaces.
 */
const notWinAnsi = /[^\n\x20-\x7e\xa0-\xff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]/gu;
export const toWinAnsi = (text: string) => text.replace(/\r\n?/g, '\n').replace(/\t/g, '    ').replace(notWinAnsi, '?');

/**
 * Text that wraps inside its column: a run of `longest` or more characters without a space (a path,
 * a hash, JSON) may break between any two characters, so it cannot overflow a table cell.
 */
function breakable(text: string, longest: number): Inline | Inline[] {
  const clean = toWinAnsi(text);
  const parts: Inline[] = [];
  let last = 0;
  for (const match of clean.matchAll(new RegExp(`\\S{${longest},}`, 'g'))) {
    if (match.index > last) parts.push(clean.slice(last, match.index));
    parts.push({ text: match[0], wordBreak: 'break-all' });
    last = match.index + match[0].length;
  }
  if (parts.length === 0) return clean;
  if (last < clean.length) parts.push(clean.slice(last));
  return parts;
}

const cell = (text: string) => ({ text: breakable(text, 12), style: 'cell' });
const headerCell = (text: string) => ({ text, style: 'th' });

function table(headers: string[], rows: string[][], widths: (number | string)[]) {
  return { table: { headerRows: 1, widths, body: [headers.map(headerCell), ...rows.map((row) => row.map(cell))] }, layout: 'lightHorizontalLines', margin: [0, 0, 0, 6] };
}

function definitions(rows: Row[]) {
  return { table: { widths: [110, '*'], body: rows.map(([label, value]) => [{ text: label, bold: true }, { text: breakable(value, 30) }]) }, layout: 'noBorders' };
}

function message(m: ReportMessage) {
  const notes = messageNotes(m);
  return {
    stack: [
      { text: toWinAnsi(messageHeading(m)), style: 'messageHeading' },
      ...(m.text ? [{ text: breakable(m.text, 30) }] : []),
      ...(notes.length > 0 ? [{ ul: notes.map((note) => ({ text: breakable(note, 20) })), style: 'note' }] : []),
    ],
    margin: [0, 0, 0, 6],
  };
}

function omitted(count: number, what: string) {
  const note = omittedNote(count, what);
  return note ? [{ text: note, italics: true }] : [];
}

export async function renderPdf(doc: ReportDocument): Promise<Uint8Array> {
  const content: unknown[] = [{ text: toWinAnsi(doc.title), style: 'title' }, { text: 'Details', style: 'h2' }, definitions(metadataRows(doc))];
  if (doc.messages) {
    content.push({ text: 'Conversation', style: 'h2' });
    if (doc.messages.length === 0) content.push({ text: 'No messages.' });
    content.push(...doc.messages.map(message), ...omitted(doc.omitted.messages, 'messages'));
  }
  if (doc.tool_calls) {
    content.push({ text: 'Tool calls', style: 'h2' });
    if (doc.tool_calls.length === 0) content.push({ text: 'No tool calls.' });
    else content.push(table(toolCallHeaders, doc.tool_calls.map(toolCallCells), [60, 38, '*', '*', 38, 70]));
    content.push(...omitted(doc.omitted.tool_calls, 'tool calls'));
  }
  if (doc.metrics) content.push({ text: 'Metrics', style: 'h2' }, table(['Metric', 'Value'], metricRows(doc.metrics), [140, '*']));

  const pdf = pdfmake.createPdf({
    info: { title: doc.title, creator: 'agentd', producer: 'agentd' },
    pageSize: 'A4',
    pageMargins: [40, 40, 40, 48],
    defaultStyle: { font: 'Helvetica', fontSize: 9, lineHeight: 1.15 },
    styles: {
      title: { fontSize: 18, bold: true, margin: [0, 0, 0, 8] },
      h2: { fontSize: 13, bold: true, margin: [0, 14, 0, 6] },
      messageHeading: { fontSize: 8, bold: true, color: '#57606a', margin: [0, 4, 0, 2] },
      note: { font: 'Courier', fontSize: 7.5, color: '#24292f', margin: [0, 2, 0, 0] },
      cell: { fontSize: 7.5 },
      th: { fontSize: 7.5, bold: true },
    },
    footer: (page: number, pages: number) => ({ text: `${page} / ${pages}`, alignment: 'center', fontSize: 7, color: '#8c959f', margin: [0, 20, 0, 0] }),
    content,
  });
  return pdf.getBuffer();
}
