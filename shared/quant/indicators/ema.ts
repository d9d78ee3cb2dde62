import { checkPeriod, firstNumberIndex, nanArray } from './common.js';

/**
 * Exponential moving average with α = 2 / (period + 1), seeded with the simple mean of the
 * first `period` inputs: out[s+period-1] = mean(values[s .. s+period-1]), then
 * out[t] = out[t-1] + α·(values[t] − out[t-1]). Leading NaN inputs (another indicator's
 * warm-up) are skipped: s is the first index holding a number. NaN before the seed. O(n).
 */
export function ema(values: ArrayLike<number>, period: number, out?: Float64Array): Float64Array {
  checkPeriod(period);
  const n = values.length;
  const result = nanArray(n, out);
  const start = firstNumberIndex(values);
  if (n - start < period) return result;
  let sum = 0;
  for (let i = start; i < start + period; i++) sum += values[i];
  let value = sum / period;
  result[start + period - 1] = value;
  const alpha = 2 / (period + 1);
  for (let t = start + period; t < n; t++) {
    value += alpha * (values[t] - value);
    result[t] = value;
  }
  return result;
}
