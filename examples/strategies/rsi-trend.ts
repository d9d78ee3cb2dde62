import { defineStrategy, rsi, sma } from 'quantgrid/strategy';
import { isAbove } from './lib/filters.js';

/**
 * RSI mean reversion with a trend filter: buy when RSI < entry while the close is above
 * SMA(trend), sell when RSI > exit; the short side (short = 1) mirrors it around 50 below the trend.
 * A state machine on ctx.position: exits first, then entries when flat.
 */
export default defineStrategy({
  name: 'rsi-trend',
  description: 'buy RSI dips in an uptrend (SMA filter), sell on recovery; mirrored short side',
  params: {
    period: { min: 2, max: 500, period: true, default: { start: 7, stop: 21, step: 7 }, description: 'RSI period' },
    entry: { type: 'real', min: 0, max: 100, default: { start: 20, stop: 30, step: 5 }, description: 'buy below this RSI' },
    exit: { type: 'real', min: 0, max: 100, default: { start: 50, stop: 70, step: 10 }, description: 'sell above this RSI' },
    trend: { min: 2, max: 5_000, period: true, default: { start: 100, stop: 200, step: 100 }, description: 'trend SMA period' },
  },
  constraint: ['entry', 'exit'],
  indicators: (p) => ({ rsi: rsi(p.period), trend: sma(p.trend) }),
  rule(t, { ind, p, close, position }) {
    const r = ind.rsi[t];
    let next = position;
    if (position === 1 && r > p.exit) next = 0;
    if (position === -1 && r < 100 - p.exit) next = 0;
    if (next === 0) {
      if (r < p.entry && isAbove(close, ind.trend, t)) next = 1;
      else if (r > 100 - p.entry && isAbove(ind.trend, close, t)) next = -1;
    }
    return next as 1 | 0 | -1;
  },
});
