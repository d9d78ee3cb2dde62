import { checkPeriod, nanArray, resyncInterval } from './common.js';

function checkLengths(...columns: ArrayLike<number>[]): void {
  const n = columns[0].length;
  if (columns.some((column) => column.length !== n)) {
    throw new RangeError(`high, low, close and volume lengths differ: ${columns.map((c) => c.length).join(', ')}`);
  }
}

/**
 * Cumulative volume-weighted average price from the first bar:
 * out[t] = Σ_{i≤t} typical[i]·volume[i] / Σ_{i≤t} volume[i], typical = (high + low + close)/3.
 * NaN while the cumulative volume is still 0 (nothing traded yet). No reset at session
 * boundaries: pass one session's bars for a session VWAP. O(n).
 */
export function vwap(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  volume: ArrayLike<number>,
  out?: Float64Array,
): Float64Array {
  checkLengths(high, low, close, volume);
  const n = close.length;
  const result = nanArray(n, out);
  const sums: VwapSums = { priceVolume: 0, volume: 0 };
  for (let t = 0; t < n; t++) {
    vwapStep(high, low, close, volume, sums, t);
    if (sums.volume !== 0) result[t] = sums.priceVolume / sums.volume;
  }
  return result;
}

/** The cumulative sums behind vwap() after some bar: all it carries (NaN while volume is 0). */
export interface VwapSums {
  priceVolume: number;
  volume: number;
}

/** Takes bar t into the sums, in place, as vwap() does. */
export function vwapStep(high: ArrayLike<number>, low: ArrayLike<number>, close: ArrayLike<number>, volume: ArrayLike<number>, sums: VwapSums, t: number): void {
  sums.priceVolume += volume[t] * ((high[t] + low[t] + close[t]) / 3);
  sums.volume += volume[t];
}

/**
 * Rolling VWAP over the last `period` bars:
 * out[t] = Σ typical[i]·volume[i] / Σ volume[i] over i = t−period+1..t. NaN for t < period−1
 * and when no bar of the window has volume. O(n): running window sums, re-summed exactly
 * every few thousand steps; a count of bars with volume makes the all-zero case exact.
 */
export function rollingVwap(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  volume: ArrayLike<number>,
  period: number,
  out?: Float64Array,
): Float64Array {
  checkPeriod(period);
  checkLengths(high, low, close, volume);
  const n = close.length;
  const result = nanArray(n, out);
  if (n < period) return result;
  const resync = resyncInterval(period);
  const priceVolumeAt = (i: number): number => volume[i] * ((high[i] + low[i] + close[i]) / 3);
  let priceVolume = 0;
  let totalVolume = 0;
  let traded = 0; // bars of the window with volume ≠ 0
  const exact = (last: number): void => {
    priceVolume = 0;
    totalVolume = 0;
    for (let i = last - period + 1; i <= last; i++) {
      priceVolume += priceVolumeAt(i);
      totalVolume += volume[i];
    }
  };
  for (let i = 0; i < period; i++) if (volume[i] !== 0) traded++;
  exact(period - 1);
  let sinceResync = 0;
  for (let t = period - 1; t < n; t++) {
    if (t >= period) {
      const leaving = t - period;
      if (volume[t] !== 0) traded++;
      if (volume[leaving] !== 0) traded--;
      if (++sinceResync === resync) {
        sinceResync = 0;
        exact(t);
      } else {
        priceVolume += priceVolumeAt(t) - priceVolumeAt(leaving);
        totalVolume += volume[t] - volume[leaving];
      }
    }
    if (traded === 0) {
      priceVolume = 0;
      totalVolume = 0;
    } else {
      result[t] = priceVolume / totalVolume;
    }
  }
  return result;
}
