import { DEFAULT_MAX_BARS } from '../bar-limits.js';
import { defineStrategy } from '../../strategy-sdk/define-strategy.js';
import { bollingerLower, bollingerMiddle, bollingerUpper } from '../../strategy-sdk/indicator-requests.js';
import { enterExit, ge, gt, le, lt } from '../../strategy-sdk/signal-rules.js';

/**
 * Bollinger mean reversion with bands of the closes (SMA(period) ± k·σ, σ the population
 * standard deviation of the window), decided at each close from t = period − 1 on, as a state
 * machine on the target s:
 *   1. exits:   s = long  and close ≥ middle → flat
 *               s = short and close ≤ middle → flat                (short = 1 only)
 *   2. entries (only when flat after step 1):
 *               close < lower → long
 *               close > upper → short                               (short = 1 only)
 * On the closes' decimal tick grid the exits are exact: the middle band is the correctly rounded
 * exact mean, so only where close and middle are equal doubles can the exact order differ, and
 * there it is decided exactly (close = SMA(1) against SMA(period), see SmaOrder). Where the
 * bands have their exact form (bollinger.ts, exactBands), a close within the bands' rounding
 * bound of a band is compared with the exact band (BandOrder); elsewhere the bands' comparisons
 * are made on their float64 values (exact-comparisons.ts). Written on the strategy SDK as a
 * declarative rule (enterExit).
 */
export const bollingerReversionSource = defineStrategy({
  name: 'bollinger-reversion',
  description: 'long below the lower band until the close reaches the middle band (mirrored short side with short = 1)',
  params: {
    period: { min: 2, max: DEFAULT_MAX_BARS, period: true, default: { start: 10, stop: 30, step: 10 }, description: 'band period' },
    k: { type: 'real', min: 0.1, max: 10, default: { start: 1.5, stop: 2.5, step: 0.5 }, description: 'band width in standard deviations' },
  },
  indicators: (p) => ({ middle: bollingerMiddle(p.period, p.k), upper: bollingerUpper(p.period, p.k), lower: bollingerLower(p.period, p.k) }),
  warmup: (p) => p.period - 1,
  signal: () =>
    enterExit({
      exitLong: ge('close', 'middle'),
      exitShort: le('close', 'middle'),
      enterLong: lt('close', 'lower'),
      enterShort: gt('close', 'upper'),
    }),
});
