import { nanArray } from './common.js';

/**
 * On-balance volume: out[0] = 0; then out[t] = out[t−1] + volume[t] if close[t] > close[t−1],
 * − volume[t] if close[t] < close[t−1], unchanged if equal. Defined at every bar. O(n).
 */
export function obv(close: ArrayLike<number>, volume: ArrayLike<number>, out?: Float64Array): Float64Array {
  if (close.length !== volume.length) {
    throw new RangeError(`close and volume lengths differ: ${close.length}, ${volume.length}`);
  }
  const n = close.length;
  const result = nanArray(n, out);
  if (n === 0) return result;
  let total = 0;
  result[0] = 0;
  for (let t = 1; t < n; t++) {
    total = obvStep(close, volume, total, t);
    result[t] = total;
  }
  return result;
}

/** The OBV after bar t (t ≥ 1) from the one before: all OBV carries. */
export function obvStep(close: ArrayLike<number>, volume: ArrayLike<number>, total: number, t: number): number {
  if (close[t] > close[t - 1]) return total + volume[t];
  if (close[t] < close[t - 1]) return total - volume[t];
  return total;
}
