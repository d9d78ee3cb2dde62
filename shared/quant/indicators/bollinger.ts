import { checkPeriod, resyncInterval } from './common.js';
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
 * `grid`: the values' grid when the caller has it (undefined: detected here; null: none).
 */
export function bollinger(values: ArrayLike<number>, period = 20, k = 2, grid: TickGrid | null = tickGrid(values) ?? null): BollingerSeries {
  checkPeriod(period);
  const n = values.length;
  const middle = new Float64Array(n).fill(NaN);
  const upper = new Float64Array(n).fill(NaN);
  const lower = new Float64Array(n).fill(NaN);
  if (n < period) return { middle, upper, lower };

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

  exact(period - 1);
  write(period - 1);
  let sinceResync = 0;
  for (let t = period; t < n; t++) {
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
    write(t);
  }
  return { middle, upper, lower };
}
