/**
 * Small statistics and formatting helpers for the benchmarks. Percentiles interpolate linearly
 * between the two nearest ranks of the sorted sample (p50 of [1, 2, 3, 4] is 2.5).
 */

/** A sorted copy (ascending); NaN values are dropped. */
export function sorted(values: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(Array.prototype.filter.call(values, (v: number) => !Number.isNaN(v)) as number[]);
  out.sort();
  return out;
}

/** The p-th percentile (0..100) of an already sorted sample; NaN when it is empty. */
export function percentileOfSorted(sortedValues: ArrayLike<number>, p: number): number {
  const n = sortedValues.length;
  if (n === 0) return Number.NaN;
  if (n === 1) return sortedValues[0];
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sortedValues[lo] + (sortedValues[hi] - sortedValues[lo]) * (rank - lo);
}

export function percentile(values: ArrayLike<number>, p: number): number {
  return percentileOfSorted(sorted(values), p);
}

export function median(values: ArrayLike<number>): number {
  return percentile(values, 50);
}

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) continue;
    sum += values[i];
    n++;
  }
  return n === 0 ? Number.NaN : sum / n;
}

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(values: ArrayLike<number>): Summary {
  const s = sorted(values);
  return {
    n: s.length,
    min: s.length ? s[0] : Number.NaN,
    p50: percentileOfSorted(s, 50),
    p90: percentileOfSorted(s, 90),
    p99: percentileOfSorted(s, 99),
    max: s.length ? s[s.length - 1] : Number.NaN,
    mean: mean(s),
  };
}

/** a / b, NaN when either is missing or b is 0. */
export function ratio(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return Number.NaN;
  return a / b;
}

// ---- formatting ----

/** A number with a fixed count of significant digits, thousands separated: 20,481 / 1.23 / 0.0456. */
export function fmt(value: number | undefined, significant = 3): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  const abs = Math.abs(value);
  if (abs >= 10 ** significant) return Math.round(value).toLocaleString('en-US');
  if (abs === 0) return '0';
  const decimals = Math.max(0, significant - 1 - Math.floor(Math.log10(abs)));
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || Number.isNaN(ms)) return '–';
  if (Math.abs(ms) >= 10_000) return `${fmt(ms / 1000)} s`;
  return `${fmt(ms)} ms`;
}

export function fmtUs(us: number | undefined): string {
  return us === undefined || Number.isNaN(us) ? '–' : `${fmt(us)} µs`;
}

export function fmtBytes(bytes: number | undefined): string {
  if (bytes === undefined || Number.isNaN(bytes)) return '–';
  return `${fmt(bytes / (1024 * 1024))} MB`;
}

export function fmtRatio(value: number | undefined): string {
  return value === undefined || Number.isNaN(value) ? '–' : `${fmt(value)}×`;
}

/** A Markdown table; cells are escaped for pipes. */
export function markdownTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const esc = (cell: string) => cell.replace(/\|/g, '\\|');
  const lines = [`| ${header.map(esc).join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.map(esc).join(' | ')} |`);
  return lines.join('\n');
}
