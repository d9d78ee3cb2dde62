import { DEFAULT_MAX_BARS } from '../bar-limits.js';
import { defineStrategy } from '../../strategy-sdk/define-strategy.js';
import { rsi } from '../../strategy-sdk/indicator-requests.js';
import { enterExit, gt, lt } from '../../strategy-sdk/signal-rules.js';

/**
 * RSI mean reversion with Wilder's RSI(period) of the closes, decided at each close from
 * t = period on (the first RSI value), as a state machine on the target s:
 *   1. exits:   s = long  and RSI > exit        → flat
 *               s = short and RSI < 100 − exit  → flat            (short = 1 only)
 *   2. entries (only when flat after step 1):
 *               RSI < entry                     → long
 *               RSI > 100 − entry               → short           (short = 1 only)
 * i.e. buy oversold, sell when it recovers above `exit`; the short side mirrors it around 50.
 * entry < exit is required. Written on the strategy SDK as a declarative rule (enterExit).
 */
export const rsiReversionSource = defineStrategy({
  name: 'rsi-reversion',
  description: 'long when RSI < entry until RSI > exit (mirrored short side with short = 1)',
  params: {
    period: { min: 1, max: DEFAULT_MAX_BARS, period: true, default: { start: 7, stop: 21, step: 7 }, description: 'RSI period' },
    entry: { type: 'real', min: 0, max: 100, default: { start: 20, stop: 30, step: 5 }, description: 'buy below this RSI' },
    exit: { type: 'real', min: 0, max: 100, default: { start: 50, stop: 70, step: 10 }, description: 'sell above this RSI' },
  },
  constraint: ['entry', 'exit'],
  indicators: (p) => ({ rsi: rsi(p.period) }),
  warmup: (p) => p.period,
  signal: (p) =>
    enterExit({
      exitLong: gt('rsi', p.exit),
      exitShort: lt('rsi', 100 - p.exit),
      enterLong: lt('rsi', p.entry),
      enterShort: gt('rsi', 100 - p.entry),
    }),
});
