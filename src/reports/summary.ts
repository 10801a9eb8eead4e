/** How long a one-line summary (a tool's input or output, an error) may get in a report. */
export const summaryLength = 300;

/** One line for any stored value: text with its whitespace collapsed, an object as `key: value` pairs; cut at `max` characters. */
export function summarise(value: unknown, max = summaryLength): string {
  // Long values are cut before the whitespace is collapsed: a tool's megabyte of output costs nothing.
  return truncate(oneLine(value, max * 4), max);
}

/** The text of tool output: a string as it is, content blocks as their text (other blocks named), anything else unchanged. */
export function textOfBlocks(content: unknown): unknown {
  if (!Array.isArray(content)) return content;
  return content
    .map((block: unknown) => {
      if (typeof block === 'string') return block;
      const { type, text } = (block ?? {}) as { type?: unknown; text?: unknown };
      return typeof text === 'string' ? text : `[${typeof type === 'string' ? type : 'block'}]`;
    })
    .join('\n');
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  // Never leave half of a surrogate pair behind.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}\u2026`;
}

function oneLine(value: unknown, budget: number): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return collapse(value, budget);
  if (typeof value !== 'object' || Array.isArray(value)) return collapse(JSON.stringify(value) ?? '', budget);
  return Object.entries(value as Record<string, unknown>)
    .map(([key, item]) => `${key}: ${collapse(typeof item === 'string' ? item : (JSON.stringify(item) ?? ''), budget)}`)
    .join(', ');
}

const collapse = (text: string, budget: number) => text.slice(0, budget).replace(/\s+/g, ' ').trim();
