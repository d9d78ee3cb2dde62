import { checkPeriod, nanArray } from './common.js';

/** RSI from average gain and loss: 100 when there were only gains, 50 when nothing moved. */
function rsiValue(averageGain: number, averageLoss: number): number {
  if (averageLoss === 0) return averageGain === 0 ? 50 : 100;
  return 100 - 100 / (1 + averageGain / averageLoss);
}

/**
 * Relative strength index (Wilder). With changes d[t] = values[t] − values[t-1]:
 * the first averages are the simple means of the gains and losses of d[1..period]
 * (out[period]); after that avg = (avg·(period−1) + current) / period.
 * NaN for t < period. O(n).
 */
export function rsi(values: ArrayLike<number>, period = 14, out?: Float64Array): Float64Array {
  checkPeriod(period);
  const n = values.length;
  const result = nanArray(n, out);
  if (n <= period) return result;
  let gain = 0;
  let loss = 0;
  for (let t = 1; t <= period; t++) {
    const change = values[t] - values[t - 1];
    if (change > 0) gain += change;
    else loss -= change;
  }
  gain /= period;
  loss /= period;
  result[period] = rsiValue(gain, loss);
  const keep = period - 1;
  for (let t = period + 1; t < n; t++) {
    const change = values[t] - values[t - 1];
    gain = (gain * keep + (change > 0 ? change : 0)) / period;
    loss = (loss * keep + (change < 0 ? -change : 0)) / period;
    result[t] = rsiValue(gain, loss);
  }
  return result;
}
