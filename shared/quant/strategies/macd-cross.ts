import { DEFAULT_MAX_BARS } from '../bar-limits.js';
import { MacdOrder } from '../indicators/macd.js';
import { crossoverSignals } from './rules.js';
import type { StrategyDefinition } from './types.js';

/**
 * MACD cross: line = EMA(fast) − EMA(slow) of the closes, signal = EMA(signal) of the line
 * (seeded with the mean of its first `signal` values). From the first bar where the signal
 * line exists (t ≥ slow + signal − 2) the target is long when line[t] > signal[t], else flat
 * (or short with short = 1); an exact tie is not long. On the closes' decimal tick grid the
 * decision is exact: where line and signal are within their error bounds of each other,
 * MacdOrder decides by the exact values (BigInt); off the grid the doubles decide.
 */
export const macdCross: StrategyDefinition = {
  name: 'macd-cross',
  description: 'long while the MACD line is above its signal line (short otherwise with short = 1)',
  params: [
    { name: 'fast', type: 'integer', min: 1, max: DEFAULT_MAX_BARS, period: true, defaultRange: { start: 8, stop: 16, step: 4 }, description: 'fast EMA period' },
    { name: 'slow', type: 'integer', min: 2, max: DEFAULT_MAX_BARS, period: true, defaultRange: { start: 20, stop: 32, step: 6 }, description: 'slow EMA period' },
    { name: 'signal', type: 'integer', min: 1, max: DEFAULT_MAX_BARS, period: true, defaultRange: { start: 5, stop: 13, step: 4 }, description: 'signal EMA period' },
  ],
  constraints: [{ left: 'fast', right: 'slow' }],
  signals(inputs, p, allowShort, out, from = 0, initial = 0) {
    const indicators = inputs.indicators;
    const [line, signal] = indicators.macd(p[0], p[1], p[2]);
    const grid = indicators.closeGrid();
    let exact: MacdOrder | undefined;
    if (grid !== undefined && p[0] < p[1]) {
      const { arrays, bounds } = indicators.macdExact(p[0], p[1], p[2]);
      exact = MacdOrder.of(grid, arrays, bounds);
    }
    crossoverSignals(line, signal, p[1] + p[2] - 2, allowShort, out, exact, from, initial);
  },
};
