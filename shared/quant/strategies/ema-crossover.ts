import { DEFAULT_MAX_BARS } from '../bar-limits.js';
import { defineStrategy } from '../../strategy-sdk/define-strategy.js';
import { ema } from '../../strategy-sdk/indicator-requests.js';
import { crossover } from '../../strategy-sdk/signal-rules.js';

/**
 * EMA crossover: at the close of bar t (t ≥ slow−1, when both EMAs exist) the target is long
 * when EMA(fast)[t] > EMA(slow)[t], else flat (or short with short = 1). EMAs of the closes,
 * α = 2/(period+1), seeded with the simple mean of the first `period` closes; an exact tie is
 * not long. On the closes' decimal tick grid the decision is exact: where the two float EMAs are
 * within the sum of their rounding-error bounds, EmaOrder decides by the exact EMAs of the
 * decimals (BigInt; exact-comparisons.ts); off the grid the float EMAs decide, equal doubles being a tie.
 * Written on the strategy SDK as a declarative rule.
 */
export const emaCrossoverSource = defineStrategy({
  name: 'ema-crossover',
  description: 'long while EMA(fast) > EMA(slow) (short otherwise with short = 1)',
  params: {
    fast: { min: 1, max: DEFAULT_MAX_BARS, period: true, default: { start: 5, stop: 50, step: 5 }, description: 'fast EMA period' },
    slow: { min: 2, max: DEFAULT_MAX_BARS, period: true, default: { start: 20, stop: 200, step: 10 }, description: 'slow EMA period' },
  },
  constraint: ['fast', 'slow'],
  indicators: (p) => ({ fast: ema(p.fast), slow: ema(p.slow) }),
  warmup: (p) => p.slow - 1,
  signal: () => crossover('fast', 'slow'),
});
