import { DEFAULT_MAX_BARS } from '../bar-limits.js';
import { defineStrategy } from '../../strategy-sdk/define-strategy.js';
import { macdLine, macdSignal } from '../../strategy-sdk/indicator-requests.js';
import { crossover } from '../../strategy-sdk/signal-rules.js';

/**
 * MACD cross: line = EMA(fast) − EMA(slow) of the closes, signal = EMA(signal) of the line
 * (seeded with the mean of its first `signal` values). From the first bar where the signal
 * line exists (t ≥ slow + signal − 2) the target is long when line[t] > signal[t], else flat
 * (or short with short = 1); an exact tie is not long. On the closes' decimal tick grid the
 * decision is exact: where line and signal are within their error bounds of each other,
 * MacdOrder decides by the exact values (BigInt; exact-comparisons.ts); off the grid the doubles
 * decide. Written on the strategy SDK as a declarative rule.
 */
export const macdCrossSource = defineStrategy({
  name: 'macd-cross',
  description: 'long while the MACD line is above its signal line (short otherwise with short = 1)',
  params: {
    fast: { min: 1, max: DEFAULT_MAX_BARS, period: true, default: { start: 8, stop: 16, step: 4 }, description: 'fast EMA period' },
    slow: { min: 2, max: DEFAULT_MAX_BARS, period: true, default: { start: 20, stop: 32, step: 6 }, description: 'slow EMA period' },
    signal: { min: 1, max: DEFAULT_MAX_BARS, period: true, default: { start: 5, stop: 13, step: 4 }, description: 'signal EMA period' },
  },
  constraint: ['fast', 'slow'],
  indicators: (p) => ({ line: macdLine(p.fast, p.slow, p.signal), signal: macdSignal(p.fast, p.slow, p.signal) }),
  warmup: (p) => p.slow + p.signal - 2,
  signal: () => crossover('line', 'signal'),
});
