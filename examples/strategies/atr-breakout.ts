import { atr, defineStrategy, sma } from 'quantgrid/strategy';

/**
 * Volatility breakout: go long when the close breaks above SMA(lookback) + mult × ATR(atr), and
 * hold until it falls back below SMA(lookback) − stop × ATR (an ATR stop around the mean); the
 * short side (short = 1) mirrors it.
 */
export default defineStrategy({
  name: 'atr-breakout',
  description: 'enter on a close beyond SMA ± mult·ATR, exit on the opposite stop band',
  params: {
    lookback: { min: 2, max: 2_000, period: true, default: { start: 10, stop: 40, step: 10 }, description: 'SMA period of the centre line' },
    atr: { min: 1, max: 500, period: true, default: { start: 14, stop: 14, step: 1 }, description: 'ATR period' },
    mult: { type: 'real', min: 0, max: 10, default: { start: 1, stop: 3, step: 1 }, description: 'entry band, in ATRs from the centre' },
    stop: { type: 'real', min: 0, max: 10, default: { start: 0, stop: 1, step: 0.5 }, description: 'exit band, in ATRs beyond the centre on the other side' },
  },
  indicators: (p) => ({ mid: sma(p.lookback), atr: atr(p.atr) }),
  rule(t, { ind, p, close, position }) {
    const mid = ind.mid[t];
    const band = ind.atr[t];
    const c = close[t];
    let next = position;
    if (position === 1 && c < mid - p.stop * band) next = 0;
    if (position === -1 && c > mid + p.stop * band) next = 0;
    if (next === 0) {
      if (c > mid + p.mult * band) next = 1;
      else if (c < mid - p.mult * band) next = -1;
    }
    return next as 1 | 0 | -1;
  },
});
