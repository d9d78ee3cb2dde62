import { DEFAULT_MAX_BARS } from '../bar-limits.js';
import type { StrategyDefinition } from './types.js';

/**
 * Donchian breakout on the channel of the PRIOR bars (the current bar excluded):
 * HH(N)[t] = max(high[t−N .. t−1]), LL(N)[t] = min(low[t−N .. t−1]). Decided at each close from
 * t = max(entry, exit) on (both channels exist), as a state machine on the target s:
 *   1. exits:   s = long  and close < LL(exit)  → flat
 *               s = short and close > HH(exit)  → flat              (short = 1 only)
 *   2. entries (only when flat after step 1):
 *               close > HH(entry) → long
 *               close < LL(entry) → short                           (short = 1 only)
 */
export const donchianBreakout: StrategyDefinition = {
  name: 'donchian-breakout',
  description: 'long on a close above the prior entry-bar high until a close below the prior exit-bar low (mirrored short side with short = 1)',
  params: [
    { name: 'entry', type: 'integer', min: 1, max: DEFAULT_MAX_BARS, period: true, defaultRange: { start: 20, stop: 60, step: 20 }, description: 'breakout channel (bars)' },
    { name: 'exit', type: 'integer', min: 1, max: DEFAULT_MAX_BARS, period: true, defaultRange: { start: 10, stop: 30, step: 10 }, description: 'exit channel (bars)' },
  ],
  constraints: [],
  signals(inputs, p, allowShort, out, from = 0, initial = 0) {
    const entry = p[0];
    const exit = p[1];
    const entryHigh = inputs.indicators.priorHigh(entry);
    const entryLow = inputs.indicators.priorLow(entry);
    const exitHigh = inputs.indicators.priorHigh(exit);
    const exitLow = inputs.indicators.priorLow(exit);
    const close = inputs.close;
    const n = close.length;
    let s = initial;
    const start = entry > exit ? entry : exit;
    for (let t = start > from ? start : from; t < n; t++) {
      const c = close[t];
      let next = s;
      if (s > 0) {
        if (c < exitLow[t]) next = 0;
      } else if (s < 0) {
        if (c > exitHigh[t]) next = 0;
      }
      if (next === 0) {
        if (c > entryHigh[t]) next = 1;
        else if (allowShort && c < entryLow[t]) next = -1;
      }
      if (next !== s) {
        out.push(t, next);
        s = next;
      }
    }
  },
};
