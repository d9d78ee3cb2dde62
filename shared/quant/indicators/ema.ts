import { checkPeriod, firstNumberIndex, nanArray } from './common.js';

/** The smoothing factor α = 2 / (period + 1). */
export function emaAlpha(period: number): number {
  return 2 / (period + 1);
}

/** The seed: the simple mean of values[start .. start+period-1], summed in order. */
export function emaSeed(values: ArrayLike<number>, period: number, start = 0): number {
  let sum = 0;
  for (let i = start; i < start + period; i++) sum += values[i];
  return sum / period;
}

/** One step: the EMA after `input`, from the EMA before it (value + α·(input − value)). */
export function emaStep(value: number, alpha: number, input: number): number {
  return value + alpha * (input - value);
}

/**
 * Exponential moving average with α = 2 / (period + 1), seeded with the simple mean of the
 * first `period` inputs: out[s+period-1] = mean(values[s .. s+period-1]), then
 * out[t] = out[t-1] + α·(values[t] − out[t-1]). Leading NaN inputs (another indicator's
 * warm-up) are skipped: s is the first index holding a number. NaN before the seed. O(n).
 * Its last value is all it needs to go on (emaStep: an incremental re-run continues from it).
 */
export function ema(values: ArrayLike<number>, period: number, out?: Float64Array): Float64Array {
  checkPeriod(period);
  const n = values.length;
  const result = nanArray(n, out);
  const start = firstNumberIndex(values);
  if (n - start < period) return result;
  let value = emaSeed(values, period, start);
  result[start + period - 1] = value;
  const alpha = emaAlpha(period);
  for (let t = start + period; t < n; t++) {
    value = emaStep(value, alpha, values[t]);
    result[t] = value;
  }
  return result;
}
