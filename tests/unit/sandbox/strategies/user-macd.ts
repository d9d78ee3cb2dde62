import { crossover, defineStrategy, macdLine, macdSignal } from 'quantgrid/strategy';

/** macd-cross as a user writes it (declarative), with no warm-up of its own (the first bar where both arrays are numbers). */
export default defineStrategy({
  name: 'user-macd',
  params: {
    fast: { min: 1, max: 100_000, period: true, default: 12 },
    slow: { min: 2, max: 100_000, period: true, default: 26 },
    signal: { min: 1, max: 100_000, period: true, default: 9 },
  },
  constraint: ['fast', 'slow'],
  indicators: (p) => ({ line: macdLine(p.fast, p.slow, p.signal), signal: macdSignal(p.fast, p.slow, p.signal) }),
  signal: () => crossover('line', 'signal'),
});
