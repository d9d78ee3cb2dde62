import type { IndicatorRequest } from '../../strategy-sdk/indicator-requests.js';
import type { IndicatorCache } from './indicator-cache.js';

/**
 * The array a strategy's indicator request names, from the series' IndicatorCache (computed once
 * per series and parameters, shared by every combination; the request is checked beforehand).
 */
export function indicatorArray(cache: IndicatorCache, r: IndicatorRequest): Float64Array {
  return indicatorOutputs(cache, r)[r.output];
}

/**
 * Every array of the request's indicator and parameters (bollinger: middle, upper, lower; macd: line,
 * signal), in one cache lookup. With `from` (a continued run that reads only bars ≥ from), an SMA may
 * hold only those bars (IndicatorCache.sma): the others are 0, not NaN.
 */
export function indicatorOutputs(cache: IndicatorCache, r: IndicatorRequest, from = 0): Float64Array[] {
  const a = r.args;
  switch (r.indicator) {
    case 'sma':
      return [cache.sma(a[0], from)];
    case 'ema':
      return [cache.ema(a[0])];
    case 'rsi':
      return [cache.rsi(a[0])];
    case 'atr':
      return [cache.atr(a[0])];
    case 'bollinger':
      return cache.bollinger(a[0], a[1]);
    case 'macd':
      return cache.macd(a[0], a[1], a[2]);
    case 'priorHigh':
      return [cache.priorHigh(a[0])];
    case 'priorLow':
      return [cache.priorLow(a[0])];
  }
}

/** Whether two requests name the same indicator with the same parameters (their outputs may differ). */
export function sameIndicator(a: IndicatorRequest, b: IndicatorRequest): boolean {
  if (a.indicator !== b.indicator || a.args.length !== b.args.length) return false;
  for (let i = 0; i < a.args.length; i++) if (a.args[i] !== b.args[i]) return false;
  return true;
}
