import { defineStrategy, sma } from 'quantgrid/strategy';

/**
 * Triple moving average: long while SMA(fast) > SMA(slow) and the close is above a long trend
 * SMA; short (with short = 1) while SMA(fast) < SMA(slow) and the close is below it; flat otherwise.
 */
export default defineStrategy({
  name: 'triple-ma',
  description: 'SMA(fast) vs SMA(slow) crossover, traded only in the direction of SMA(trend)',
  params: {
    fast: { min: 1, max: 1_000, period: true, default: { start: 5, stop: 20, step: 5 }, description: 'fast SMA period' },
    slow: { min: 2, max: 2_000, period: true, default: { start: 30, stop: 60, step: 10 }, description: 'slow SMA period' },
    trend: { min: 2, max: 5_000, period: true, default: { start: 100, stop: 200, step: 50 }, description: 'trend filter SMA period' },
  },
  constraint: ['fast', 'slow'],
  indicators: (p) => ({ fast: sma(p.fast), slow: sma(p.slow), trend: sma(p.trend) }),
  rule(t, { ind, close }) {
    const up = ind.fast[t] > ind.slow[t];
    const down = ind.fast[t] < ind.slow[t];
    if (up && close[t] > ind.trend[t]) return 1;
    if (down && close[t] < ind.trend[t]) return -1;
    return 0;
  },
});
