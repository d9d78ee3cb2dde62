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

/** A sample's median, quartiles and range. */
export interface Spread {
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
}

export function spread(values: number[]): Spread {
  return { median: median(values), q1: percentile(values, 25), q3: percentile(values, 75), min: Math.min(...values), max: Math.max(...values) };
}

/** "0.982 (quartiles 0.95–1.01, range 0.90–1.05)". */
export function describeSpread(s: Spread): string {
  return `${s.median.toFixed(3)} (quartiles ${s.q1.toFixed(3)}–${s.q3.toFixed(3)}, range ${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
}

/**
 * `runs` pairs of two measurements, alternated (a then b, b then a, …) so that the machine's drift
 * hits both alike; each returns what it measured. Index i of both lists is pair i.
 */
export function alternatedPairs(runs: number, a: () => number, b: () => number): { a: number[]; b: number[] } {
  const out = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      out.a.push(a());
      out.b.push(b());
    } else {
      out.b.push(b());
      out.a.push(a());
    }
  }
  return out;
}

/**
 * The rotations of the items, then those of the items with all but the first reversed — for three,
 * every order (a b c, b c a, c a b, a c b, c b a, b a c): rounds that cycle through them put each
 * item first, middle and last alike.
 */
export function allOrders<T>(items: readonly T[]): T[][] {
  const rotations = (list: readonly T[]): T[][] => list.map((_, i) => [...list.slice(i), ...list.slice(0, i)]);
  const orders = [...rotations(items), ...rotations([items[0], ...items.slice(1).reverse()])];
  return orders.filter((order, i) => orders.findIndex((other) => other.every((item, j) => item === order[j])) === i);
}
