import { checkPeriod, nanArray } from './common.js';

/** RSI from average gain and loss: 100 when there were only gains, 50 when nothing moved. */
export function rsiValue(averageGain: number, averageLoss: number): number {
  if (averageLoss === 0) return averageGain === 0 ? 50 : 100;
  return 100 - 100 / (1 + averageGain / averageLoss);
}

/** Wilder's average gain and loss after some bar: all the state RSI carries from bar to bar. */
export interface WilderAverages {
  gain: number;
  loss: number;
}

/** The first averages (at bar `period`): the simple means of the gains and losses of d[1..period]. Needs more than `period` values. */
export function rsiSeed(values: ArrayLike<number>, period: number): WilderAverages {
  let gain = 0;
  let loss = 0;
  for (let t = 1; t <= period; t++) {
    const change = values[t] - values[t - 1];
    if (change > 0) gain += change;
    else loss -= change;
  }
  return { gain: gain / period, loss: loss / period };
}

/** Takes bar t (t > period) into the averages, in place: avg = (avg·(period−1) + current) / period. */
export function rsiStep(values: ArrayLike<number>, period: number, averages: WilderAverages, t: number): void {
  const keep = period - 1;
  const change = values[t] - values[t - 1];
  averages.gain = (averages.gain * keep + (change > 0 ? change : 0)) / period;
  averages.loss = (averages.loss * keep + (change < 0 ? -change : 0)) / period;
}

/**
 * Relative strength index (Wilder). With changes d[t] = values[t] − values[t-1]:
 * the first averages are the simple means of the gains and losses of d[1..period]
 * (out[period]); after that avg = (avg·(period−1) + current) / period.
 * NaN for t < period. O(n). The averages after any bar are all it needs to go on (rsiStep:
 * an incremental re-run continues from them, bit for bit).
 */
export function rsi(values: ArrayLike<number>, period = 14, out?: Float64Array): Float64Array {
  checkPeriod(period);
  const n = values.length;
  const result = nanArray(n, out);
  if (n <= period) return result;
  const averages = rsiSeed(values, period);
  result[period] = rsiValue(averages.gain, averages.loss);
  for (let t = period + 1; t < n; t++) {
    rsiStep(values, period, averages, t);
    result[t] = rsiValue(averages.gain, averages.loss);
  }
  return result;
}
