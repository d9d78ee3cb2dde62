/**
 * The decimal tick grid of a price series: the fewest decimals d ≤ MAX_TICK_DECIMALS such that
 * every value is the float64 nearest to a decimal with d places (a price written in whole cents
 * is on the d = 2 grid). On the grid each value stands for the exact decimal units/10^d, and sums
 * of units are exact in float64 while they stay below 2^53, so indicators built from window sums
 * (SMA) are exact functions of the decimals and comparisons between them can be decided exactly.
 */

/** Most decimals a grid may have (prices in 1e-8, as crypto exchanges quote). */
export const MAX_TICK_DECIMALS = 8;

/**
 * Largest |units| of a value on a grid. Below 2^51 two different decimals of the grid are
 * different doubles, and units·10^k (k ≤ 8) computed in float64 rounds back to the right integer.
 */
const MAX_UNITS = 2 ** 51;

export interface TickGrid {
  /** Decimal places d. */
  readonly decimals: number;
  /** 10^d. */
  readonly scale: number;
  /** values[i]·10^d as exact integers (held in float64). */
  readonly units: Float64Array;
  /** The largest |units[i]|. */
  readonly maxUnits: number;
}

function onGrid(value: number, scale: number): boolean {
  const units = Math.round(value * scale);
  return Math.abs(units) <= MAX_UNITS && units / scale === value;
}

/** 10^decimals, as tickGrid builds it (exact for decimals ≤ MAX_TICK_DECIMALS). */
function scaleOf(decimals: number): number {
  let scale = 1;
  for (let d = 0; d < decimals; d++) scale *= 10;
  return scale;
}

/** tickGrid's first pass over values[from, to), from `decimals`: the decimals it ends with, or undefined when a value is on no grid. */
function scanDecimals(values: ArrayLike<number>, from: number, to: number, decimals: number): number | undefined {
  let scale = scaleOf(decimals);
  for (let i = from; i < to; i++) {
    const value = values[i];
    while (!onGrid(value, scale)) {
      if (decimals === MAX_TICK_DECIMALS) return undefined;
      decimals++;
      scale *= 10;
    }
  }
  return decimals;
}

/** tickGrid's second pass over values[from, to) at `scale`: the largest |units| (written to `out` when given), or undefined. */
function scanUnits(values: ArrayLike<number>, from: number, to: number, scale: number, out?: Float64Array): number | undefined {
  let maxUnits = 0;
  for (let i = from; i < to; i++) {
    const u = Math.round(values[i] * scale);
    if (u / scale !== values[i]) return undefined; // cannot happen (see above); never trust it silently
    if (out) out[i] = u;
    const size = u < 0 ? -u : u;
    if (size > maxUnits) maxUnits = size;
  }
  return maxUnits;
}

/**
 * The tick grid of `values`, or undefined when some value is on no grid of ≤ MAX_TICK_DECIMALS
 * decimals (synthetic float data, NaN, infinities) or too large for exact units. O(n), one pass
 * in the common case (a value on the d grid is on every finer grid, so d only grows).
 */
export function tickGrid(values: ArrayLike<number>): TickGrid | undefined {
  const n = values.length;
  const decimals = scanDecimals(values, 0, n, 0);
  if (decimals === undefined) return undefined;
  const scale = scaleOf(decimals);
  const units = new Float64Array(n);
  const maxUnits = scanUnits(values, 0, n, scale, units);
  if (maxUnits === undefined) return undefined;
  return { decimals, scale, units, maxUnits };
}

/**
 * What tickGrid's two passes found over a prefix values[0, bars) of a series, so that a longer
 * series with the same prefix (an incremental re-run's) needs to scan only its new values.
 */
export interface TickGridScan {
  /** The first pass's decimals, or undefined when a value is on no grid (then so is every longer series'). */
  decimals: number | undefined;
  /** The second pass's largest |units| at 10^decimals, or undefined when it failed (or the first did). */
  maxUnits: number | undefined;
}

/** tickGrid's scan of values[0, bars). O(bars). */
export function scanTickGrid(values: ArrayLike<number>, bars: number): TickGridScan {
  const decimals = scanDecimals(values, 0, bars, 0);
  return { decimals, maxUnits: decimals === undefined ? undefined : scanUnits(values, 0, bars, scaleOf(decimals)) };
}

/**
 * The scan of values[0, to) from `scan`, that of values[0, from): exactly scanTickGrid(values, to),
 * in O(to − from), when the new values need no more decimals; undefined when they do (the earlier
 * values' second pass would have to run again at the finer scale: scan from bar 0 then).
 */
export function extendTickGridScan(values: ArrayLike<number>, scan: TickGridScan, from: number, to: number): TickGridScan | undefined {
  if (scan.decimals === undefined) return scan;
  const decimals = scanDecimals(values, from, to, scan.decimals);
  if (decimals === undefined) return { decimals: undefined, maxUnits: undefined };
  if (decimals !== scan.decimals) return undefined;
  if (scan.maxUnits === undefined) return scan;
  const more = scanUnits(values, from, to, scaleOf(decimals));
  return { decimals, maxUnits: more === undefined ? undefined : Math.max(scan.maxUnits, more) };
}

/**
 * The grid of the whole of `values` from its scan (scanTickGrid(values, values.length)), with
 * units written only for values[0, head) and values[tail, n): 0 elsewhere, for callers that read
 * nothing else (an incremental re-run's indicators at its last bars). Undefined when tickGrid is.
 */
export function tickGridOfScan(values: ArrayLike<number>, scan: TickGridScan, head: number, tail: number): TickGrid | undefined {
  if (scan.decimals === undefined || scan.maxUnits === undefined) return undefined;
  const n = values.length;
  const scale = scaleOf(scan.decimals);
  const units = new Float64Array(n);
  scanUnits(values, 0, Math.min(head, n), scale, units);
  scanUnits(values, Math.max(0, Math.min(tail, n)), n, scale, units);
  return { decimals: scan.decimals, scale, units, maxUnits: scan.maxUnits };
}

/**
 * Whether running sums of `period` units (and one value more, while a window slides) stay exact,
 * and period·10^d is an exact divisor, so fl(sum / (period·10^d)) is the correctly rounded mean.
 */
export function exactWindowMeans(grid: TickGrid, period: number): boolean {
  return grid.maxUnits * (period + 1) <= Number.MAX_SAFE_INTEGER && period * grid.scale <= Number.MAX_SAFE_INTEGER;
}
