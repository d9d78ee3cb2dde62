import { checkPeriod, resyncInterval } from './common.js';
import { dyadic } from './exact-fraction.js';
import { exactWindowMeans, tickGrid, type TickGrid } from './tick-grid.js';

export interface BollingerSeries {
  /** SMA(period). */
  middle: Float64Array;
  /** middle + k·σ, σ the population standard deviation of the window. */
  upper: Float64Array;
  /** middle − k·σ. */
  lower: Float64Array;
}

/**
 * Bollinger bands (default 20 bars, 2 standard deviations; population σ, i.e. divided by
 * period). O(n): the window's mean and sum of squared deviations are updated as one value
 * leaves and one enters (a stable form, no E[x²]−E[x]² cancellation), and recomputed
 * exactly every few thousand steps. NaN for t < period−1.
 * On a decimal tick grid (see tick-grid.ts) the middle band is sma()'s: the exact window mean,
 * correctly rounded (so a close equal to the exact mean compares equal to it, see SmaOrder).
 * Where the window's squared units also sum exactly (exactBands), σ comes from the exact integer
 * p·Σu² − (Σu)² (one square root, one division), so each band is within BAND_ERROR·(|middle| +
 * k·σ) of its exact value and BandOrder can decide comparisons near it exactly.
 * `grid`: the values' grid when the caller has it (undefined: detected here; null: none).
 *
 * With `from` > 0 (an incremental re-run's first new bar), only the bands at t ≥ from are computed
 * (the arrays hold 0 before, never NaN-filled), bit-identical to a whole run's, as in sma(): in the
 * exact-bands form the window sums are exact whatever order they are summed in; otherwise the
 * running mean and m2 are replayed from the last re-summing point at or before `from` (they sit at
 * absolute bar indices period − 1 + j·max(1024, period)).
 */
export function bollinger(values: ArrayLike<number>, period = 20, k = 2, grid: TickGrid | null = tickGrid(values) ?? null, from = 0): BollingerSeries {
  checkPeriod(period);
  const n = values.length;
  const warmUp = from > 0 ? Math.min(n, period - 1) : n; // from > 0: only the warm-up bars at or after `from` are NaN
  const middle = new Float64Array(n).fill(NaN, from, warmUp);
  const upper = new Float64Array(n).fill(NaN, from, warmUp);
  const lower = new Float64Array(n).fill(NaN, from, warmUp);
  if (n < period) return { middle, upper, lower };
  const first = from > period - 1 ? from : period - 1; // the first bar written
  if (first >= n) return { middle, upper, lower };

  if (grid !== null && exactBands(grid, period)) {
    const units = grid.units;
    const divisor = period * grid.scale;
    let sum = 0;
    let squares = 0;
    const write = (t: number): void => {
      const mean = sum / divisor;
      const sigma = Math.sqrt(period * squares - sum * sum) / divisor;
      middle[t] = mean;
      upper[t] = mean + k * sigma;
      lower[t] = mean - k * sigma;
    };
    for (let i = first - period + 1; i <= first; i++) {
      sum += units[i];
      squares += units[i] * units[i];
    }
    write(first);
    for (let t = first + 1; t < n; t++) {
      const entering = units[t];
      const leaving = units[t - period];
      sum += entering - leaving;
      squares += entering * entering - leaving * leaving;
      write(t);
    }
    return { middle, upper, lower };
  }

  const resync = resyncInterval(period);
  // On the grid: the exact sum of the window's units, and the exact divisor period·10^d.
  const units = grid !== null && exactWindowMeans(grid, period) ? grid.units : undefined;
  const divisor = grid !== null ? period * grid.scale : period;
  let unitSum = 0;
  let mean = 0;
  let m2 = 0; // Σ (x − mean)² over the window
  const exact = (last: number): void => {
    if (units !== undefined) {
      unitSum = 0;
      for (let i = last - period + 1; i <= last; i++) unitSum += units[i];
      mean = unitSum / divisor;
    } else {
      let sum = 0;
      for (let i = last - period + 1; i <= last; i++) sum += values[i];
      mean = sum / period;
    }
    m2 = 0;
    for (let i = last - period + 1; i <= last; i++) {
      const d = values[i] - mean;
      m2 += d * d;
    }
  };
  const write = (t: number): void => {
    const sigma = Math.sqrt((m2 > 0 ? m2 : 0) / period);
    middle[t] = mean;
    upper[t] = mean + k * sigma;
    lower[t] = mean - k * sigma;
  };

  // Re-summed at bar period − 1 + j·resync (j ≥ 0); start at the last such bar ≤ first.
  const anchor = period - 1 + Math.floor((first - (period - 1)) / resync) * resync;
  exact(anchor);
  if (anchor >= first) write(anchor);
  let sinceResync = 0;
  for (let t = anchor + 1; t < n; t++) {
    if (++sinceResync === resync) {
      sinceResync = 0;
      exact(t);
    } else {
      const entering = values[t];
      const leaving = values[t - period];
      let next: number;
      if (units !== undefined) {
        unitSum += units[t] - units[t - period];
        next = unitSum / divisor;
      } else {
        next = mean + (entering - leaving) / period;
      }
      m2 += (entering - leaving) * (entering - next + leaving - mean);
      mean = next;
    }
    if (t >= first) write(t);
  }
  return { middle, upper, lower };
}

/**
 * Whether the exact-bands form applies: window sums of units and of their squares, and
 * period·Σu², stay exact integers in float64 (below 2^53), as while a window slides.
 */
export function exactBands(grid: TickGrid, period: number): boolean {
  const square = grid.maxUnits * grid.maxUnits;
  return exactWindowMeans(grid, period) && square * (period + 1) * period <= Number.MAX_SAFE_INTEGER;
}

/**
 * How far a band of the exact-bands form can be from its exact value, relative to |middle| + k·σ:
 * the mean's rounding, the square root's, the division's and k·σ's (each ≤ 2^-53 relative), and
 * the final addition's, with a margin (8·2^-53).
 */
export const BAND_ERROR = 2 ** -50;

/**
 * The exact order of the close and the Bollinger bands of one series on its tick grid (with
 * exactBands), for the bars where the doubles are too close to tell: with D = p·u_close − Σu
 * (p times close − mean, in units), V = p·Σu² − (Σu)² (p²σ²) and k = kn/kd,
 * close − lower has the sign of D·kd + kn·√V, close − upper that of D·kd − kn·√V, decided by
 * comparing squares in BigInt. O(period) per call.
 */
export class BandOrder {
  private readonly kn: bigint;
  private readonly kd: bigint;

  private constructor(
    private readonly units: Float64Array,
    private readonly period: number,
    k: number,
  ) {
    const { n, d } = dyadic(k);
    this.kn = n;
    this.kd = d;
  }

  /** The order of the close and the bands of (period, k), or undefined when the bands are not exact-form. */
  static of(grid: TickGrid | undefined, period: number, k: number): BandOrder | undefined {
    if (grid === undefined || !exactBands(grid, period) || !(k >= 0) || !Number.isFinite(k)) return undefined;
    return new BandOrder(grid.units, period, k);
  }

  /** D·kd and kn·√V squared, as (dk, dk², kv²) at bar t. */
  private terms(t: number): { dk: bigint; left: bigint; right: bigint } {
    let sum = 0n;
    let squares = 0n;
    for (let i = t - this.period + 1; i <= t; i++) {
      const u = BigInt(this.units[i]);
      sum += u;
      squares += u * u;
    }
    const p = BigInt(this.period);
    const dk = (p * BigInt(this.units[t]) - sum) * this.kd;
    const v = p * squares - sum * sum;
    return { dk, left: dk * dk, right: this.kn * this.kn * v };
  }

  /** sign(close − lower) at bar t. */
  vsLower(t: number): number {
    const { dk, left, right } = this.terms(t);
    if (dk >= 0n) return dk === 0n && right === 0n ? 0 : 1;
    return right > left ? 1 : right < left ? -1 : 0;
  }

  /** sign(close − upper) at bar t. */
  vsUpper(t: number): number {
    const { dk, left, right } = this.terms(t);
    if (dk <= 0n) return dk === 0n && right === 0n ? 0 : -1;
    return left > right ? 1 : left < right ? -1 : 0;
  }
}
