import { checkPeriod, firstNumberIndex, nanArray, resyncInterval } from './common.js';

/**
 * Linearly weighted moving average: the newest input of the window weighs `period`, the
 * oldest 1, over the sum of the weights period·(period+1)/2:
 * out[t] = Σ_{i=1..period} i·values[t−period+i] / (period·(period+1)/2).
 * Leading NaN inputs (another indicator's warm-up) are skipped like in ema(): with s the
 * first index holding a number, out is NaN for t < s+period−1. O(n): the weighted sum W and
 * the plain sum S of the window are updated as W ← W − S + period·entering,
 * S ← S + entering − leaving, and re-summed exactly every few thousand steps.
 * With `from` > 0 (an incremental re-run's first new bar), only out[t] for t ≥ from is computed
 * (0 before, as in sma()), bit-identical to a whole run's: the running sums are replayed from the
 * last re-summing point at or before `from` (at s + period − 1 + j·max(1024, period)).
 */
export function wma(values: ArrayLike<number>, period: number, out?: Float64Array, from = 0): Float64Array {
  checkPeriod(period);
  const n = values.length;
  const result = from > 0 ? (out ?? new Float64Array(n)) : nanArray(n, out);
  const start = firstNumberIndex(values);
  if (from > 0) result.fill(NaN, from, Math.max(from, Math.min(n, start + period - 1)));
  if (n - start < period) return result;
  const seed = start + period - 1;
  const first = from > seed ? from : seed; // the first bar written
  if (first >= n) return result;
  const denominator = (period * (period + 1)) / 2;
  const resync = resyncInterval(period);
  let sum = 0;
  let weighted = 0;
  const exact = (last: number): void => {
    sum = 0;
    weighted = 0;
    const oldest = last - period + 1;
    for (let i = oldest; i <= last; i++) {
      sum += values[i];
      weighted += (i - oldest + 1) * values[i];
    }
  };
  // Re-summed at bar seed + j·resync (j ≥ 0); start at the last such bar ≤ first.
  const anchor = seed + Math.floor((first - seed) / resync) * resync;
  exact(anchor);
  if (anchor >= first) result[anchor] = weighted / denominator;
  let sinceResync = 0;
  for (let t = anchor + 1; t < n; t++) {
    if (++sinceResync === resync) {
      sinceResync = 0;
      exact(t);
    } else {
      weighted += period * values[t] - sum;
      sum += values[t] - values[t - period];
    }
    if (t >= first) result[t] = weighted / denominator;
  }
  return result;
}
