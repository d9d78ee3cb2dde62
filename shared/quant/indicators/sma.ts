import { checkPeriod, nanArray, resyncInterval } from './common.js';

/**
 * Simple moving average: out[t] = mean(values[t-period+1 .. t]); NaN for t < period-1.
 * O(n): a running window sum, re-summed exactly every few thousand steps so rounding
 * error does not accumulate over long series. Inputs must be finite.
 */
export function sma(values: ArrayLike<number>, period: number, out?: Float64Array): Float64Array {
  checkPeriod(period);
  const n = values.length;
  const result = nanArray(n, out);
  if (n < period) return result;
  const resync = resyncInterval(period);
  let sum = 0;
  for (let i = 0; i < period; i++) sum += values[i];
  result[period - 1] = sum / period;
  let sinceResync = 0;
  for (let t = period; t < n; t++) {
    if (++sinceResync === resync) {
      sinceResync = 0;
      sum = 0;
      for (let i = t - period + 1; i <= t; i++) sum += values[i];
    } else {
      sum += values[t] - values[t - period];
    }
    result[t] = sum / period;
  }
  return result;
}
