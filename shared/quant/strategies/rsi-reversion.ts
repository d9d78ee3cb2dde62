import { DEFAULT_MAX_BARS } from '../bar-limits.js';
import type { StrategyDefinition } from './types.js';

/**
 * RSI mean reversion with Wilder's RSI(period) of the closes, decided at each close from
 * t = period on (the first RSI value), as a state machine on the target s:
 *   1. exits:   s = long  and RSI > exit        → flat
 *               s = short and RSI < 100 − exit  → flat            (short = 1 only)
 *   2. entries (only when flat after step 1):
 *               RSI < entry                     → long
 *               RSI > 100 − entry               → short           (short = 1 only)
 * i.e. buy oversold, sell when it recovers above `exit`; the short side mirrors it around 50.
 * entry < exit is required.
 */
export const rsiReversion: StrategyDefinition = {
  name: 'rsi-reversion',
  description: 'long when RSI < entry until RSI > exit (mirrored short side with short = 1)',
  params: [
    { name: 'period', type: 'integer', min: 1, max: DEFAULT_MAX_BARS, period: true, defaultRange: { start: 7, stop: 21, step: 7 }, description: 'RSI period' },
    { name: 'entry', type: 'real', min: 0, max: 100, defaultRange: { start: 20, stop: 30, step: 5 }, description: 'buy below this RSI' },
    { name: 'exit', type: 'real', min: 0, max: 100, defaultRange: { start: 50, stop: 70, step: 10 }, description: 'sell above this RSI' },
  ],
  constraints: [{ left: 'entry', right: 'exit' }],
  signals(inputs, p, allowShort, out, from = 0, initial = 0) {
    const period = p[0];
    const entry = p[1];
    const exit = p[2];
    const shortEntry = 100 - entry;
    const shortExit = 100 - exit;
    const value = inputs.indicators.rsi(period);
    const n = value.length;
    let s = initial;
    for (let t = period > from ? period : from; t < n; t++) {
      const x = value[t];
      let next = s;
      if (s > 0) {
        if (x > exit) next = 0;
      } else if (s < 0) {
        if (x < shortExit) next = 0;
      }
      if (next === 0) {
        if (x < entry) next = 1;
        else if (allowShort && x > shortEntry) next = -1;
      }
      if (next !== s) {
        out.push(t, next);
        s = next;
      }
    }
  },
};
