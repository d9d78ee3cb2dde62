import { crossover, defineStrategy, sma } from 'quantgrid/strategy';

/** The SMA crossover as a user would write it declaratively on the SDK, as the built-in is (bench/user-strategy.ts runs it in the sandbox). */
export default defineStrategy({
  name: 'user-sma-signal',
  description: 'long while SMA(fast) > SMA(slow)',
  params: {
    fast: { min: 1, max: 1_000_000, period: true, default: { start: 5, stop: 50, step: 5 } },
    slow: { min: 2, max: 1_000_000, period: true, default: { start: 20, stop: 200, step: 10 } },
  },
  constraint: ['fast', 'slow'],
  indicators: (p) => ({ fast: sma(p.fast), slow: sma(p.slow) }),
  warmup: (p) => p.slow - 1,
  signal: () => crossover('fast', 'slow'),
});
