import { DEFAULT_MAX_BARS } from '../bar-limits.js';
import { EmaOrder } from '../indicators/ema.js';
import { crossoverSignals } from './rules.js';
import type { StrategyDefinition } from './types.js';

/**
 * EMA crossover: at the close of bar t (t ≥ slow−1, when both EMAs exist) the target is long
 * when EMA(fast)[t] > EMA(slow)[t], else flat (or short with short = 1). EMAs of the closes,
 * α = 2/(period+1), seeded with the simple mean of the first `period` closes; an exact tie is
 * not long. On the closes' decimal tick grid the decision is exact: where the two float EMAs are
 * within the sum of their rounding-error bounds, EmaOrder decides by the exact EMAs of the
 * decimals (BigInt); off the grid the float EMAs decide, equal doubles being a tie.
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
    const fast = p[0];
    const slow = p[1];
    const indicators = inputs.indicators;
    const fastEma = indicators.ema(fast);
    const slowEma = indicators.ema(slow);
    const grid = indicators.closeGrid();
    const exact =
      grid === undefined
        ? undefined
        : EmaOrder.of(grid, { period: fast, values: fastEma, bound: indicators.emaBound(fast) }, { period: slow, values: slowEma, bound: indicators.emaBound(slow) });
    crossoverSignals(fastEma, slowEma, slow - 1, allowShort, out, exact, from, initial);
  },
};
