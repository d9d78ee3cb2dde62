import { DEFAULT_MAX_BARS } from '../bar-limits.js';
import { crossoverSignals } from './rules.js';
import type { StrategyDefinition } from './types.js';

/**
 * EMA crossover: at the close of bar t (t ≥ slow−1, when both EMAs exist) the target is long
 * when EMA(fast)[t] > EMA(slow)[t], else flat (or short with short = 1). EMAs of the closes,
 * α = 2/(period+1), seeded with the simple mean of the first `period` closes.
 */
export const emaCrossover: StrategyDefinition = {
  name: 'ema-crossover',
  description: 'long while EMA(fast) > EMA(slow) (short otherwise with short = 1)',
  params: [
    { name: 'fast', type: 'integer', min: 1, max: DEFAULT_MAX_BARS, period: true, defaultRange: { start: 5, stop: 50, step: 5 }, description: 'fast EMA period' },
    { name: 'slow', type: 'integer', min: 2, max: DEFAULT_MAX_BARS, period: true, defaultRange: { start: 20, stop: 200, step: 10 }, description: 'slow EMA period' },
  ],
  constraints: [{ left: 'fast', right: 'slow' }],
  signals(inputs, p, allowShort, out, from = 0, initial = 0) {
    const slow = p[1];
    crossoverSignals(inputs.indicators.ema(p[0]), inputs.indicators.ema(slow), slow - 1, allowShort, out, undefined, from, initial);
  },
};
