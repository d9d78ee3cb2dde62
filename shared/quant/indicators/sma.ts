import { checkPeriod, nanArray, resyncInterval } from './common.js';
import { exactWindowMeans, tickGrid, type TickGrid } from './tick-grid.js';

/**
 * Simple moving average: out[t] = mean(values[t-period+1 .. t]); NaN for t < period-1. O(n).
 * Inputs must be finite.
 *
 * On a decimal tick grid (see tick-grid.ts; whole cents, …) the window sums are exact integer
 * sums of the grid units and out[t] is the exact mean of the decimals, correctly rounded once.
 * So out[t] depends only on the window (not on where the series starts) and is a monotone
 * function of the exact mean: two such SMAs of one series that differ as doubles are in the
 * order of their exact means (when they are equal, see SmaOrder). Off the grid: a running float
 * window sum, re-summed every few thousand steps so rounding error does not accumulate.
 * `grid`: the series' grid when the caller has it (undefined: detected here; null: none).
 *
 * With `from` > 0 (an incremental re-run's first new bar), only out[t] for t ≥ from is computed,
 * bit-identical to a whole run's (the bars before are not written: 0 in a new array, which is not
 * filled either, so the cost is O(n − from + period) however long the series): on the grid a window sum is exact whatever
 * order it is summed in; off it the running sum is replayed from the last re-summing point at or
 * before `from` (they sit at absolute bar indices), at most max(1024, period) steps back.
 */
export function sma(values: ArrayLike<number>, period: number, out?: Float64Array, grid: TickGrid | null = tickGrid(values) ?? null, from = 0): Float64Array {
  checkPeriod(period);
  const n = values.length;
  const result = from > 0 ? (out ?? new Float64Array(n)) : nanArray(n, out);
  if (from > 0) result.fill(NaN, from, Math.min(n, period - 1));
  if (n < period) return result;
  const first = from > period - 1 ? from : period - 1; // the first bar written
  if (first >= n) return result;
  if (grid !== null && exactWindowMeans(grid, period)) {
    const units = grid.units;
    const divisor = period * grid.scale;
    let sum = 0;
    for (let i = first - period + 1; i <= first; i++) sum += units[i];
    if (first < n) result[first] = sum / divisor;
    for (let t = first + 1; t < n; t++) {
      sum += units[t] - units[t - period];
      result[t] = sum / divisor;
    }
    return result;
  }
  const resync = resyncInterval(period);
  // Re-summed exactly at bar period − 1 + j·resync (j ≥ 0); start at the last such bar ≤ first.
  // Chunk by chunk (a re-summing, then the running sum up to the next): the inner loop has no branch
  // but its bound, 3–4× faster than testing for the re-summing bar at every step.
  let anchor = period - 1 + Math.floor((first - (period - 1)) / resync) * resync;
  for (; anchor < n; anchor += resync) {
    let sum = 0;
    for (let i = anchor - period + 1; i <= anchor; i++) sum += values[i];
    if (anchor >= first) result[anchor] = sum / period;
    const stop = anchor + resync < n ? anchor + resync : n;
    let t = anchor + 1;
    // Only a continuation's first chunk has bars before `first`: summed, not written.
    for (; t < first && t < stop; t++) sum += values[t] - values[t - period];
    for (; t < stop; t++) {
      sum += values[t] - values[t - period];
      result[t] = sum / period;
    }
  }
  return result;
}

/** Exact sum of units[from .. to] (exact: the caller checked exactWindowMeans). */
function windowSum(units: Float64Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i <= to; i++) sum += units[i];
  return sum;
}

/**
 * The exact order of SMA(a) and SMA(b) of one series on its tick grid, for the bars where their
 * doubles are equal (the only bars where rounding can hide the order; rare, so each costs
 * O(a + b)): the sign of Σa/a − Σb/b, decided as Σa·b − Σb·a in BigInt.
 */
export class SmaOrder {
  /** Only equal doubles can hide the order. */
  readonly margin = 0;

  private constructor(
    private readonly units: Float64Array,
    private readonly a: number,
    private readonly b: number,
  ) {}

  /** The order of SMA(a) and SMA(b) on `grid`, or undefined when a window sum could be inexact. */
  static of(grid: TickGrid | undefined, a: number, b: number): SmaOrder | undefined {
    if (grid === undefined || !exactWindowMeans(grid, a) || !exactWindowMeans(grid, b)) return undefined;
    return new SmaOrder(grid.units, a, b);
  }

  /** sign(mean of the last a values − mean of the last b values) at bar t (t ≥ max(a, b) − 1). */
  compare(t: number): number {
    const sumA = windowSum(this.units, t - this.a + 1, t);
    const sumB = windowSum(this.units, t - this.b + 1, t);
    const left = BigInt(sumA) * BigInt(this.b);
    const right = BigInt(sumB) * BigInt(this.a);
    return left > right ? 1 : left < right ? -1 : 0;
  }
}
