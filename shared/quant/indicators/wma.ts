import { checkPeriod, firstNumberIndex, nanArray, resyncInterval } from './common.js';

/**
 * Linearly weighted moving average: the newest input of the window weighs `period`, the
 * oldest 1, over the sum of the weights period·(period+1)/2:
 * out[t] = Σ_{i=1..period} i·values[t−period+i] / (period·(period+1)/2).
 * Leading NaN inputs (another indicator's warm-up) are skipped like in ema(): with s the
 * first index holding a number, out is NaN for t < s+period−1. O(n): the weighted sum W and
 * the plain sum S of the window are updated as W ← W − S + period·entering,
 * S ← S + entering − leaving, and re-summed exactly every few thousand steps.
 */
export function wma(values: ArrayLike<number>, period: number, out?: Float64Array): Float64Array {
  checkPeriod(period);
  const n = values.length;
  const result = nanArray(n, out);
  const start = firstNumberIndex(values);
  if (n - start < period) return result;
  const denominator = (period * (period + 1)) / 2;
  const resync = resyncInterval(period);
  let sum = 0;
  let weighted = 0;
  const exact = (last: number): void => {
    sum = 0;
    weighted = 0;
    const first = last - period + 1;
    for (let i = first; i <= last; i++) {
      sum += values[i];
      weighted += (i - first + 1) * values[i];
    }
  };
  exact(start + period - 1);
  result[start + period - 1] = weighted / denominator;
  let sinceResync = 0;
  for (let t = start + period; t < n; t++) {
    if (++sinceResync === resync) {
      sinceResync = 0;
      exact(t);
    } else {
      weighted += period * values[t] - sum;
      sum += values[t] - values[t - period];
    }
    result[t] = weighted / denominator;
  }
  return result;
}
