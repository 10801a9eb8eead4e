/** Limits that keep one tool result readable and small enough for the agent's context. */
export const MAX_CELL_CHARS = 500;
export const MAX_OUTPUT_CHARS = 100_000;

const cell = (value: string | null) => {
  if (value === null) return 'NULL';
  const flat = value.replace(/\r?\n/g, '\\n').replace(/\t/g, ' ');
  return flat.length > MAX_CELL_CHARS ? `${flat.slice(0, MAX_CELL_CHARS)}…` : flat;
};

/**
 * A query result as psql prints it: header, separator, aligned rows, then "(N rows)", or
 * "(first N rows; more were cut)" when `rows` holds more than `maxRows`.
 */
export function textTable(fields: string[], rows: (string | null)[][], options: { maxRows: number; command?: string | undefined }): string {
  if (fields.length === 0) return `${options.command ?? 'OK'} (the statement returned no rows)`;
  const shown = rows.slice(0, options.maxRows).map((row) => fields.map((_, i) => cell(row[i] ?? null)));
  const widths = fields.map((name, i) => Math.max(name.length, ...shown.map((row) => row[i]!.length)));
  const line = (values: string[]) => ` ${values.map((v, i) => v.padEnd(widths[i]!)).join(' | ')}`.trimEnd();
  const lines = [line(fields), widths.map((w) => '-'.repeat(w + 2)).join('+')];
  let size = lines[0]!.length + lines[1]!.length;
  let count = 0;
  for (const row of shown) {
    const text = line(row);
    if (size + text.length + 1 > MAX_OUTPUT_CHARS) break;
    lines.push(text);
    size += text.length + 1;
    count += 1;
  }
  const cut = count < shown.length || rows.length > options.maxRows;
  lines.push(cut ? `(first ${count} rows; more were cut)` : `(${count} ${count === 1 ? 'row' : 'rows'})`);
  return lines.join('\n');
}

/** kubectl's plain columns: upper-case header, values left-aligned, two spaces apart. */
export function columns(header: string[], rows: string[][]): string {
  const widths = header.map((name, i) => Math.max(name.length, ...rows.map((row) => (row[i] ?? '').length)));
  return [header, ...rows].map((row) => row.map((v, i) => (i === row.length - 1 ? v : v.padEnd(widths[i]!))).join('  ')).join('\n');
}
