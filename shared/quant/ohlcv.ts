import type { Timeframe } from './timeframes.js';

/**
 * A bar series in columns (structure of arrays). time[i] is the bar's open time in ms since
 * the Unix epoch, ascending and spaced by the timeframe. All columns have the same length.
 * Series may be shared (e.g. from a memo cache): treat the arrays as read-only.
 */
export interface Ohlcv {
  readonly symbol: string;
  readonly timeframe: Timeframe;
  readonly time: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

/** A series of `bars` zeroed bars. */
export function allocateOhlcv(symbol: string, timeframe: Timeframe, bars: number): Ohlcv {
  return {
    symbol,
    timeframe,
    time: new Float64Array(bars),
    open: new Float64Array(bars),
    high: new Float64Array(bars),
    low: new Float64Array(bars),
    close: new Float64Array(bars),
    volume: new Float64Array(bars),
  };
}

export function barCount(series: Ohlcv): number {
  return series.close.length;
}

/** Approximate memory held by a series' columns, in bytes. */
export function ohlcvBytes(series: Ohlcv): number {
  return series.close.length * 6 * Float64Array.BYTES_PER_ELEMENT;
}
