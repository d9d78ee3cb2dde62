import { checkPeriod } from './common.js';
import { ema } from './ema.js';

export interface MacdSeries {
  /** EMA(fast) − EMA(slow); NaN until both exist (index slow−1 when fast ≤ slow). */
  macd: Float64Array;
  /** EMA(signal) of the MACD line, seeded with the mean of its first `signal` values. */
  signal: Float64Array;
  /** macd − signal. */
  histogram: Float64Array;
}

/**
 * Moving average convergence/divergence (default 12/26/9). Each EMA runs on its own input
 * and is seeded with the simple mean of its first n values (see ema()). O(n).
 */
export function macd(values: ArrayLike<number>, fast = 12, slow = 26, signal = 9): MacdSeries {
  checkPeriod(fast, 'fast');
  checkPeriod(slow, 'slow');
  checkPeriod(signal, 'signal');
  const n = values.length;
  const line = ema(values, fast);
  const slowEma = ema(values, slow);
  for (let t = 0; t < n; t++) line[t] -= slowEma[t]; // NaN stays NaN
  const signalLine = ema(line, signal);
  const histogram = slowEma; // reuse the buffer
  for (let t = 0; t < n; t++) histogram[t] = line[t] - signalLine[t];
  return { macd: line, signal: signalLine, histogram };
}
