import { DEFAULT_MAX_BARS } from '../bar-limits.js';
import { defineStrategy } from '../../strategy-sdk/define-strategy.js';
import { priorHigh, priorLow } from '../../strategy-sdk/indicator-requests.js';
import { enterExit, gt, lt } from '../../strategy-sdk/signal-rules.js';
import { inProcessDefinition } from './sdk-strategy.js';

/**
 * Donchian breakout on the channel of the PRIOR bars (the current bar excluded):
 * HH(N)[t] = max(high[t−N .. t−1]), LL(N)[t] = min(low[t−N .. t−1]). Decided at each close from
 * t = max(entry, exit) on (both channels exist), as a state machine on the target s:
 *   1. exits:   s = long  and close < LL(exit)  → flat
 *               s = short and close > HH(exit)  → flat              (short = 1 only)
 *   2. entries (only when flat after step 1):
 *               close > HH(entry) → long
 *               close < LL(entry) → short                           (short = 1 only)
 *
 * Written on the strategy SDK as a declarative rule (enterExit, docs/strategies.md), as a user's
 * strategy would be, and run in this thread (inProcessDefinition).
 */
export const donchianBreakoutSource = defineStrategy({
  name: 'donchian-breakout',
  description: 'long on a close above the prior entry-bar high until a close below the prior exit-bar low (mirrored short side with short = 1)',
  params: {
    entry: { min: 1, max: DEFAULT_MAX_BARS, period: true, default: { start: 20, stop: 60, step: 20 }, description: 'breakout channel (bars)' },
    exit: { min: 1, max: DEFAULT_MAX_BARS, period: true, default: { start: 10, stop: 30, step: 10 }, description: 'exit channel (bars)' },
  },
  indicators: (p) => ({ entryHigh: priorHigh(p.entry), entryLow: priorLow(p.entry), exitHigh: priorHigh(p.exit), exitLow: priorLow(p.exit) }),
  warmup: (p) => (p.entry > p.exit ? p.entry : p.exit),
  signal: () =>
    enterExit({
      exitLong: lt('close', 'exitLow'),
      exitShort: gt('close', 'exitHigh'),
      enterLong: gt('close', 'entryHigh'),
      enterShort: lt('close', 'entryLow'),
    }),
});
