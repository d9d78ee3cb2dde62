import { checkPeriod } from './common.js';
import { ema, emaAlpha, emaSeed, emaStep } from './ema.js';

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

/** What MACD carries from bar to bar: the fast and slow EMAs of the values and the signal EMA of the line. */
export interface MacdState {
  fast: number;
  slow: number;
  signal: number;
}

/** The bar of the first signal value (and so of the first histogram value): max(fast, slow) − 1 + signal − 1. */
export function macdSeedBar(fast: number, slow: number, signal: number): number {
  return Math.max(fast, slow) - 1 + signal - 1;
}

/**
 * The state at macdSeedBar (values must be longer), as macd() computes it: both EMAs seeded and
 * stepped (ema()), the signal seeded with the mean of the first `signal` line values, in order.
 */
export function macdSeed(values: ArrayLike<number>, fast: number, slow: number, signal: number): MacdState {
  const lineStart = Math.max(fast, slow) - 1;
  const seedBar = macdSeedBar(fast, slow, signal);
  const fastAlpha = emaAlpha(fast);
  const slowAlpha = emaAlpha(slow);
  let f = emaSeed(values, fast);
  let s = emaSeed(values, slow);
  for (let t = fast; t <= lineStart; t++) f = emaStep(f, fastAlpha, values[t]);
  for (let t = slow; t <= lineStart; t++) s = emaStep(s, slowAlpha, values[t]);
  let sum = 0;
  sum += f - s;
  for (let t = lineStart + 1; t <= seedBar; t++) {
    f = emaStep(f, fastAlpha, values[t]);
    s = emaStep(s, slowAlpha, values[t]);
    sum += f - s;
  }
  return { fast: f, slow: s, signal: sum / signal };
}

/** Takes bar t (after macdSeedBar) into the state, in place, as macd() does. */
export function macdStep(values: ArrayLike<number>, fast: number, slow: number, signal: number, state: MacdState, t: number): void {
  state.fast = emaStep(state.fast, emaAlpha(fast), values[t]);
  state.slow = emaStep(state.slow, emaAlpha(slow), values[t]);
  state.signal = emaStep(state.signal, emaAlpha(signal), state.fast - state.slow);
}
