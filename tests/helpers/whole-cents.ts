import type { Ohlcv } from '../../shared/quant/ohlcv.js';

/** The same bars rounded to whole cents (on a tick grid: exact SMA and Bollinger decisions). */
export function inWholeCents<S extends Ohlcv>(series: S): S {
  const round = (x: Float64Array) => x.map((v) => Math.round(v * 100) / 100);
  return { ...series, open: round(series.open), high: round(series.high), low: round(series.low), close: round(series.close) };
}
