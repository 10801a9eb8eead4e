/** Summary statistics and plain-text tables for the benchmark. */

export interface Summary {
  n: number;
  median: number;
  p90: number;
  mean: number;
  min: number;
  max: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { n: 0, median: NaN, p90: NaN, mean: NaN, min: NaN, max: NaN };
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const at = (i: number) => sorted[Math.min(n - 1, Math.max(0, i))]!;
  const median = n % 2 === 1 ? at((n - 1) / 2) : (at(n / 2 - 1) + at(n / 2)) / 2;
  // Nearest-rank percentile: the smallest sample with at least 90 % of samples at or below it.
  const p90 = at(Math.ceil(0.9 * n) - 1);
  const mean = sorted.reduce((sum, x) => sum + x, 0) / n;
  return { n, median, p90, mean, min: at(0), max: at(n - 1) };
}

export type Align = 'left' | 'right';

/** Aligned columns: text left, numbers right (or as given), a rule under the header. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], align?: readonly Align[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const alignOf = (i: number): Align => align?.[i] ?? (i === 0 ? 'left' : 'right');
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (alignOf(i) === 'left' ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

export const ms = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
export const ratio = (x: number, base: number) => (Number.isFinite(x) && Number.isFinite(base) && base > 0 ? `${(x / base).toFixed(2)}x` : '-');

/** One table row per side: n, median, p90, mean (ms) and the ratio of medians against the baseline. */
export function latencyTable(sides: readonly { name: string; samples: readonly number[] }[], baselineName: string): string {
  const base = sides.find((s) => s.name === baselineName);
  const baseMedian = base ? summarize(base.samples).median : NaN;
  const rows = sides.map(({ name, samples }) => {
    const s = summarize(samples);
    return [name, String(s.n), ms(s.median), ms(s.p90), ms(s.mean), ms(s.min), ms(s.max), name === baselineName ? '1.00x (base)' : ratio(s.median, baseMedian)];
  });
  return table(['side', 'n', 'median ms', 'p90 ms', 'mean ms', 'min ms', 'max ms', 'median vs base'], rows);
}
