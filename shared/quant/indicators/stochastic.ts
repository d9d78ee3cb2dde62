import { checkPeriod, nanArray } from './common.js';
import { sma } from './sma.js';

export interface StochasticSeries {
  /** %K: the raw %K of `period` bars, or its SMA over `smoothing` bars when smoothing > 1. */
  k: Float64Array;
  /** %D: SMA(signalPeriod) of %K. */
  d: Float64Array;
}

/** %K when the window's highest high equals its lowest low (nothing moved): the midpoint. */
export const STOCHASTIC_FLAT_K = 50;

/** Raw %K of a close within its window's highest high and lowest low (STOCHASTIC_FLAT_K when they are equal). */
function percentK(close: number, highest: number, lowest: number): number {
  const range = highest - lowest;
  return range === 0 ? STOCHASTIC_FLAT_K : ((close - lowest) / range) * 100;
}

/**
 * Raw %K at bar t (t ≥ period − 1) straight from its window, O(period): the value stochastic()
 * computes there (for an incremental re-run, which needs it at a few bars only).
 */
export function rawStochasticAt(high: ArrayLike<number>, low: ArrayLike<number>, close: ArrayLike<number>, period: number, t: number): number {
  let highest = high[t];
  let lowest = low[t];
  for (let i = t - period + 1; i < t; i++) {
    if (high[i] > highest) highest = high[i];
    if (low[i] < lowest) lowest = low[i];
  }
  return percentK(close[t], highest, lowest);
}

/**
 * Stochastic oscillator (defaults 14, 3; smoothing 1 gives the "fast" stochastic, 3 the
 * usual "slow" one). Raw %K[t] = 100·(close[t] − LL)/(HH − LL) with HH the highest high and LL
 * the lowest low of bars t−period+1..t; when HH = LL it is defined as 50
 * (STOCHASTIC_FLAT_K), never NaN or ±Infinity. %K is the raw %K (smoothing = 1) or its SMA
 * over `smoothing` bars; %D is the SMA of %K over `signalPeriod` bars.
 * First values: %K at period+smoothing−2, %D at period+smoothing+signalPeriod−3; NaN before.
 * O(n): the window high and low come from monotonic index queues (ring buffers of `period`).
 */
export function stochastic(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  period = 14,
  signalPeriod = 3,
  smoothing = 1,
): StochasticSeries {
  checkPeriod(period);
  checkPeriod(signalPeriod, 'signalPeriod');
  checkPeriod(smoothing, 'smoothing');
  if (high.length !== low.length || low.length !== close.length) {
    throw new RangeError(`high, low and close lengths differ: ${high.length}, ${low.length}, ${close.length}`);
  }
  const n = close.length;
  const k = nanArray(n);
  const d = nanArray(n);
  if (n < period) return { k, d };
  const raw = smoothing > 1 ? nanArray(n) : k;

  // Indices of candidate window highs (values strictly decreasing from head to tail) and of
  // candidate window lows (strictly increasing); at most `period` entries each.
  const highQueue = new Int32Array(period);
  const lowQueue = new Int32Array(period);
  let highHead = 0;
  let highSize = 0;
  let lowHead = 0;
  let lowSize = 0;
  for (let t = 0; t < n; t++) {
    if (highSize > 0 && highQueue[highHead] <= t - period) {
      if (++highHead === period) highHead = 0;
      highSize--;
    }
    if (lowSize > 0 && lowQueue[lowHead] <= t - period) {
      if (++lowHead === period) lowHead = 0;
      lowSize--;
    }
    while (highSize > 0 && high[highQueue[(highHead + highSize - 1) % period]] <= high[t]) highSize--;
    highQueue[(highHead + highSize) % period] = t;
    highSize++;
    while (lowSize > 0 && low[lowQueue[(lowHead + lowSize - 1) % period]] >= low[t]) lowSize--;
    lowQueue[(lowHead + lowSize) % period] = t;
    lowSize++;
    if (t < period - 1) continue;
    const highest = high[highQueue[highHead]];
    const lowest = low[lowQueue[lowHead]];
    raw[t] = percentK(close[t], highest, lowest);
  }

  const firstK = period + smoothing - 2;
  if (smoothing > 1) sma(raw.subarray(period - 1), smoothing, k.subarray(period - 1));
  sma(k.subarray(firstK), signalPeriod, d.subarray(firstK));
  return { k, d };
}
