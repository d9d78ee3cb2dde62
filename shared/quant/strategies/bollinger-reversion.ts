import { DEFAULT_MAX_BARS } from '../bar-limits.js';
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
    const n = close.length;
    let s = initial;
    for (let t = period - 1 > from ? period - 1 : from; t < n; t++) {
      const c = close[t];
      let next = s;
      if (s > 0) {
        if (c >= middle[t]) next = 0;
      } else if (s < 0) {
        if (c <= middle[t]) next = 0;
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
