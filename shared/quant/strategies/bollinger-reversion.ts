import { DEFAULT_MAX_BARS } from '../bar-limits.js';
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
 * there it is decided exactly (close = SMA(1) against SMA(period), see SmaOrder). The bands'
 * comparisons are made on their float64 values (k·σ has no exact decimal form).
 */
export const bollingerReversion: StrategyDefinition = {
  name: 'bollinger-reversion',
  description: 'long below the lower band until the close reaches the middle band (mirrored short side with short = 1)',
  params: [
    { name: 'period', type: 'integer', min: 2, max: DEFAULT_MAX_BARS, period: true, defaultRange: { start: 10, stop: 30, step: 10 }, description: 'band period' },
    { name: 'k', type: 'real', min: 0.1, max: 10, defaultRange: { start: 1.5, stop: 2.5, step: 0.5 }, description: 'band width in standard deviations' },
  ],
  constraints: [],
  signals(inputs, p, allowShort, out) {
    const period = p[0];
    const [middle, upper, lower] = inputs.indicators.bollinger(period, p[1]);
    const close = inputs.close;
    const exact = SmaOrder.of(inputs.indicators.closeGrid(), 1, period);
    const n = close.length;
    let s = 0;
    for (let t = period - 1; t < n; t++) {
      const c = close[t];
      const m = middle[t];
      let next = s;
      if (s > 0) {
        if (c > m || (c === m && (exact === undefined || exact.compare(t) >= 0))) next = 0;
      } else if (s < 0) {
        if (c < m || (c === m && (exact === undefined || exact.compare(t) <= 0))) next = 0;
      }
      if (next === 0) {
        if (c < lower[t]) next = 1;
        else if (allowShort && c > upper[t]) next = -1;
      }
      if (next !== s) {
        out.push(t, next);
        s = next;
      }
    }
  },
};
