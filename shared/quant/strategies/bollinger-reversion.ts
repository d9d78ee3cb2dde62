import { DEFAULT_MAX_BARS } from '../bar-limits.js';
import { BAND_ERROR, BandOrder } from '../indicators/bollinger.js';
import { SmaOrder } from '../indicators/sma.js';
import type { StrategyDefinition } from './types.js';

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
 * are made on their float64 values.
 */
export const bollingerReversion: StrategyDefinition = {
  name: 'bollinger-reversion',
  description: 'long below the lower band until the close reaches the middle band (mirrored short side with short = 1)',
  params: [
    { name: 'period', type: 'integer', min: 2, max: DEFAULT_MAX_BARS, period: true, defaultRange: { start: 10, stop: 30, step: 10 }, description: 'band period' },
    { name: 'k', type: 'real', min: 0.1, max: 10, defaultRange: { start: 1.5, stop: 2.5, step: 0.5 }, description: 'band width in standard deviations' },
  ],
  constraints: [],
  signals(inputs, p, allowShort, out, from = 0, initial = 0) {
    const period = p[0];
    const [middle, upper, lower] = inputs.indicators.bollinger(period, p[1]);
    const close = inputs.close;
    const grid = inputs.indicators.closeGrid();
    const exact = SmaOrder.of(grid, 1, period);
    const bands = BandOrder.of(grid, period, p[1]);
    const n = close.length;
    let s = initial;
    for (let t = period - 1 > from ? period - 1 : from; t < n; t++) {
      const c = close[t];
      const m = middle[t];
      let next = s;
      if (s > 0) {
        if (c > m || (c === m && (exact === undefined || exact.compare(t) >= 0))) next = 0;
      } else if (s < 0) {
        if (c < m || (c === m && (exact === undefined || exact.compare(t) <= 0))) next = 0;
      }
      if (next === 0) {
        const lo = lower[t];
        const hi = upper[t];
        // Within the rounding bound of a band only the exact bands can tell.
        const near = bands === undefined ? -1 : BAND_ERROR * ((m < 0 ? -m : m) + (hi - m));
        if (near >= 0 && (c - lo <= near && lo - c <= near) ? bands!.vsLower(t) < 0 : c < lo) next = 1;
        else if (allowShort && (near >= 0 && (c - hi <= near && hi - c <= near) ? bands!.vsUpper(t) > 0 : c > hi)) next = -1;
      }
      if (next !== s) {
        out.push(t, next);
        s = next;
      }
    }
  },
};
