import { checkPeriod, nanArray } from './common.js';

function checkLengths(high: ArrayLike<number>, low: ArrayLike<number>, close: ArrayLike<number>): void {
  if (high.length !== low.length || low.length !== close.length) {
    throw new RangeError(`high, low and close lengths differ: ${high.length}, ${low.length}, ${close.length}`);
  }
}

/** True range of bar t (t ≥ 1): max(h−l, |h−c[t−1]|, |l−c[t−1]|); bar 0 has no previous close: h−l. */
function trueRangeAt(high: ArrayLike<number>, low: ArrayLike<number>, close: ArrayLike<number>, t: number): number {
  const range = high[t] - low[t];
  if (t === 0) return range;
  const previous = close[t - 1];
  const up = Math.abs(high[t] - previous);
  const down = Math.abs(low[t] - previous);
  return range >= up ? (range >= down ? range : down) : up >= down ? up : down;
}

/**
 * True range: out[0] = high[0] − low[0] (no previous close), then
 * out[t] = max(high[t] − low[t], |high[t] − close[t−1]|, |low[t] − close[t−1]|). Defined at
 * every bar (no warm-up). O(n).
 */
export function trueRange(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  out?: Float64Array,
): Float64Array {
  checkLengths(high, low, close);
  const n = close.length;
  const result = nanArray(n, out);
  for (let t = 0; t < n; t++) result[t] = trueRangeAt(high, low, close, t);
  return result;
}

/**
 * Average true range (Wilder, default 14): out[period−1] = mean(TR[0..period−1]) with
 * TR[0] = high[0] − low[0] (see trueRange()), then
 * out[t] = (out[t−1]·(period−1) + TR[t]) / period. NaN for t < period−1. O(n).
 */
export function atr(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  period = 14,
  out?: Float64Array,
): Float64Array {
  checkPeriod(period);
  checkLengths(high, low, close);
  const n = close.length;
  const result = nanArray(n, out);
  if (n < period) return result;
  let average = atrSeed(high, low, close, period);
  result[period - 1] = average;
  for (let t = period; t < n; t++) {
    average = atrStep(high, low, close, period, average, t);
    result[t] = average;
  }
  return result;
}

/** The first ATR (at bar period − 1): the mean of TR[0..period−1]. Needs at least `period` bars. */
export function atrSeed(high: ArrayLike<number>, low: ArrayLike<number>, close: ArrayLike<number>, period: number): number {
  let average = 0;
  for (let t = 0; t < period; t++) average += trueRangeAt(high, low, close, t);
  return average / period;
}

/** The ATR after bar t (t ≥ period) from the one before: (average·(period−1) + TR[t]) / period. All ATR carries. */
export function atrStep(high: ArrayLike<number>, low: ArrayLike<number>, close: ArrayLike<number>, period: number, average: number, t: number): number {
  return (average * (period - 1) + trueRangeAt(high, low, close, t)) / period;
}
