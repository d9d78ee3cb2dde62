import { bollinger } from '../../quant/indicators/bollinger.js';
import { ema } from '../../quant/indicators/ema.js';
import { macd } from '../../quant/indicators/macd.js';
import { rsi } from '../../quant/indicators/rsi.js';
import { sma } from '../../quant/indicators/sma.js';
import { wma } from '../../quant/indicators/wma.js';
import { atr } from '../../quant/indicators/atr.js';
import { stochastic } from '../../quant/indicators/stochastic.js';
import { obv } from '../../quant/indicators/obv.js';
import { vwap } from '../../quant/indicators/vwap.js';
import { binEdge, volumeProfile } from '../../quant/indicators/volume-profile.js';
import { finiteOrNull } from '../../quant/metrics.js';
import type { Ohlcv } from '../../quant/ohlcv.js';
import type { IndicatorName } from './spec.js';

/** Fixed indicator settings (the spec has no knobs for them yet). */
export const SETTINGS = {
  rsi: { period: 14, overbought: 70, oversold: 30 },
  macd: { fast: 12, slow: 26, signal: 9 },
  bollinger: { period: 20, stdDev: 2 },
  sma: { period: 50 },
  ema: { period: 20 },
  wma: { period: 20 },
  atr: { period: 14 },
  stochastic: { period: 14, signal: 3, smoothing: 1, overbought: 80, oversold: 20 },
  volumeProfile: { bins: 24, valueArea: 0.7 },
} as const;

export type RsiSignal = 'overbought' | 'oversold' | 'neutral';
export type MacdSignal = 'bullish-cross' | 'bearish-cross' | 'bullish' | 'bearish' | 'neutral';
export type BollingerSignal = 'above-upper' | 'below-lower' | 'inside';
export type StochasticSignal = 'overbought' | 'oversold' | 'neutral';
export type VwapSignal = 'above' | 'below' | 'at';

export interface VolumeProfileSummary {
  bins: { low: number; high: number; volume: number }[];
  /** Mid price of the bin with the most volume. */
  poc: number | null;
  valueAreaLow: number | null;
  valueAreaHigh: number | null;
  totalVolume: number;
}

export interface MarketAnalysisRow {
  asset: string;
  timeframe: string;
  bars: number;
  /** Open time (ms) of the latest bar. */
  time: number;
  close: number;
  /** Latest values; only the requested indicators appear. */
  indicators: {
    rsi?: { period: number; value: number | null };
    macd?: { fast: number; slow: number; signalPeriod: number; macd: number | null; signal: number | null; histogram: number | null };
    bollinger?: { period: number; stdDev: number; middle: number | null; upper: number | null; lower: number | null };
    sma?: { period: number; value: number | null };
    ema?: { period: number; value: number | null };
    wma?: { period: number; value: number | null };
    atr?: { period: number; value: number | null };
    stochastic?: { period: number; signalPeriod: number; k: number | null; d: number | null };
    obv?: { value: number | null };
    vwap?: { value: number | null };
  };
  signals: {
    rsi?: RsiSignal | null;
    macd?: MacdSignal | null;
    bollinger?: BollingerSignal | null;
    stochastic?: StochasticSignal | null;
    vwap?: VwapSignal | null;
  };
  /** Volume by price over the whole series, when 'volume-profile' is requested. */
  volumeProfile?: VolumeProfileSummary;
  /** Full series (null during warm-up), only when the spec asks for them. */
  series?: {
    time: number[];
    close: number[];
    rsi?: (number | null)[];
    macd?: { macd: (number | null)[]; signal: (number | null)[]; histogram: (number | null)[] };
    bollinger?: { middle: (number | null)[]; upper: (number | null)[]; lower: (number | null)[] };
    sma?: (number | null)[];
    ema?: (number | null)[];
    wma?: (number | null)[];
    atr?: (number | null)[];
    stochastic?: { k: (number | null)[]; d: (number | null)[] };
    obv?: (number | null)[];
    vwap?: (number | null)[];
  };
}

/** A JSON-safe copy: NaN and ±Infinity become null. */
export function toJsonArray(values: Float64Array): (number | null)[] {
  const out: (number | null)[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = finiteOrNull(values[i]);
  return out;
}

export function rsiSignal(value: number): RsiSignal | null {
  if (Number.isNaN(value)) return null;
  if (value >= SETTINGS.rsi.overbought) return 'overbought';
  if (value <= SETTINGS.rsi.oversold) return 'oversold';
  return 'neutral';
}

/** A cross when the histogram (MACD − signal) changed side on the last bar, else its sign. */
export function macdSignal(previousHistogram: number, histogram: number): MacdSignal | null {
  if (Number.isNaN(histogram)) return null;
  if (!Number.isNaN(previousHistogram)) {
    if (previousHistogram <= 0 && histogram > 0) return 'bullish-cross';
    if (previousHistogram >= 0 && histogram < 0) return 'bearish-cross';
  }
  if (histogram > 0) return 'bullish';
  if (histogram < 0) return 'bearish';
  return 'neutral';
}

export function bollingerSignal(close: number, upper: number, lower: number): BollingerSignal | null {
  if (Number.isNaN(upper) || Number.isNaN(lower)) return null;
  if (close > upper) return 'above-upper';
  if (close < lower) return 'below-lower';
  return 'inside';
}

export function stochasticSignal(k: number): StochasticSignal | null {
  if (Number.isNaN(k)) return null;
  if (k >= SETTINGS.stochastic.overbought) return 'overbought';
  if (k <= SETTINGS.stochastic.oversold) return 'oversold';
  return 'neutral';
}

export function vwapSignal(close: number, value: number): VwapSignal | null {
  if (Number.isNaN(value)) return null;
  if (close > value) return 'above';
  if (close < value) return 'below';
  return 'at';
}

/**
 * The indicators' values at the last bar of a series (NaN during warm-up), and what the signals
 * need beside them (the MACD histogram one bar before): all a row takes from the indicators,
 * whether they were computed over the whole series (analyseSeries) or continued from a
 * checkpoint (continue.ts). Only the requested indicators are set.
 */
export interface LatestValues {
  rsi?: number;
  macd?: { macd: number; signal: number; histogram: number; previousHistogram: number };
  bollinger?: { middle: number; upper: number; lower: number };
  sma?: number;
  ema?: number;
  wma?: number;
  atr?: number;
  stochastic?: { k: number; d: number };
  obv?: number;
  vwap?: number;
}

/** The value of an indicator the caller computed (it is requested), or NaN. */
function valueOf(value: number | undefined): number {
  return value ?? NaN;
}

/**
 * The row of a series from its indicators' latest values. The volume profile is computed here, over
 * the whole series, every time: its bins span the series' whole price range, which appended bars can
 * widen (so it is never continued from a checkpoint; O(n + bins)).
 */
export function rowOf(series: Ohlcv, indicators: readonly IndicatorName[], latest: LatestValues): MarketAnalysisRow {
  const n = series.close.length;
  const last = n - 1;
  const close = series.close;
  const row: MarketAnalysisRow = {
    asset: series.symbol,
    timeframe: series.timeframe,
    bars: n,
    time: series.time[last],
    close: close[last],
    indicators: {},
    signals: {},
  };
  for (const name of indicators) {
    switch (name) {
      case 'rsi': {
        const value = valueOf(latest.rsi);
        row.indicators.rsi = { period: SETTINGS.rsi.period, value: finiteOrNull(value) };
        row.signals.rsi = rsiSignal(value);
        break;
      }
      case 'macd': {
        const { fast, slow, signal } = SETTINGS.macd;
        const values = latest.macd ?? { macd: NaN, signal: NaN, histogram: NaN, previousHistogram: NaN };
        row.indicators.macd = {
          fast,
          slow,
          signalPeriod: signal,
          macd: finiteOrNull(values.macd),
          signal: finiteOrNull(values.signal),
          histogram: finiteOrNull(values.histogram),
        };
        row.signals.macd = macdSignal(values.previousHistogram, values.histogram);
        break;
      }
      case 'bollinger': {
        const { period, stdDev } = SETTINGS.bollinger;
        const bands = latest.bollinger ?? { middle: NaN, upper: NaN, lower: NaN };
        row.indicators.bollinger = { period, stdDev, middle: finiteOrNull(bands.middle), upper: finiteOrNull(bands.upper), lower: finiteOrNull(bands.lower) };
        row.signals.bollinger = bollingerSignal(close[last], bands.upper, bands.lower);
        break;
      }
      case 'volume-profile': {
        const { bins, valueArea } = SETTINGS.volumeProfile;
        const profile = volumeProfile(series.high, series.low, close, series.volume, bins, valueArea);
        const binRows = new Array(bins);
        for (let i = 0; i < bins; i++) {
          binRows[i] = { low: binEdge(profile, i), high: binEdge(profile, i + 1), volume: profile.volumes[i] };
        }
        row.volumeProfile = {
          bins: binRows,
          poc: finiteOrNull(profile.poc),
          valueAreaLow: finiteOrNull(profile.valueAreaLow),
          valueAreaHigh: finiteOrNull(profile.valueAreaHigh),
          totalVolume: profile.totalVolume,
        };
        break;
      }
      case 'sma':
        row.indicators.sma = { period: SETTINGS.sma.period, value: finiteOrNull(valueOf(latest.sma)) };
        break;
      case 'ema':
        row.indicators.ema = { period: SETTINGS.ema.period, value: finiteOrNull(valueOf(latest.ema)) };
        break;
      case 'wma':
        row.indicators.wma = { period: SETTINGS.wma.period, value: finiteOrNull(valueOf(latest.wma)) };
        break;
      case 'atr':
        row.indicators.atr = { period: SETTINGS.atr.period, value: finiteOrNull(valueOf(latest.atr)) };
        break;
      case 'stochastic': {
        const { period, signal } = SETTINGS.stochastic;
        const values = latest.stochastic ?? { k: NaN, d: NaN };
        row.indicators.stochastic = { period, signalPeriod: signal, k: finiteOrNull(values.k), d: finiteOrNull(values.d) };
        row.signals.stochastic = stochasticSignal(values.k);
        break;
      }
      case 'obv':
        row.indicators.obv = { value: finiteOrNull(valueOf(latest.obv)) };
        break;
      case 'vwap': {
        const value = valueOf(latest.vwap);
        row.indicators.vwap = { value: finiteOrNull(value) };
        row.signals.vwap = vwapSignal(close[last], value);
        break;
      }
    }
  }
  return row;
}

/** Everything the market-analysis kind reports for one series, each indicator over the whole series. Pure; O(n) per indicator. */
export function analyseSeries(series: Ohlcv, indicators: readonly IndicatorName[], includeSeries: boolean): MarketAnalysisRow {
  const n = series.close.length;
  const last = n - 1;
  const close = series.close;
  const latest: LatestValues = {};
  const full: NonNullable<MarketAnalysisRow['series']> | undefined = includeSeries
    ? { time: Array.from(series.time), close: Array.from(close) }
    : undefined;

  for (const name of indicators) {
    switch (name) {
      case 'rsi': {
        const values = rsi(close, SETTINGS.rsi.period);
        latest.rsi = values[last];
        if (full) full.rsi = toJsonArray(values);
        break;
      }
      case 'macd': {
        const { fast, slow, signal } = SETTINGS.macd;
        const result = macd(close, fast, slow, signal);
        latest.macd = { macd: result.macd[last], signal: result.signal[last], histogram: result.histogram[last], previousHistogram: last > 0 ? result.histogram[last - 1] : NaN };
        if (full) {
          full.macd = { macd: toJsonArray(result.macd), signal: toJsonArray(result.signal), histogram: toJsonArray(result.histogram) };
        }
        break;
      }
      case 'bollinger': {
        const { period, stdDev } = SETTINGS.bollinger;
        const bands = bollinger(close, period, stdDev);
        latest.bollinger = { middle: bands.middle[last], upper: bands.upper[last], lower: bands.lower[last] };
        if (full) full.bollinger = { middle: toJsonArray(bands.middle), upper: toJsonArray(bands.upper), lower: toJsonArray(bands.lower) };
        break;
      }
      case 'volume-profile':
        break; // rowOf's
      case 'sma': {
        const values = sma(close, SETTINGS.sma.period);
        latest.sma = values[last];
        if (full) full.sma = toJsonArray(values);
        break;
      }
      case 'ema': {
        const values = ema(close, SETTINGS.ema.period);
        latest.ema = values[last];
        if (full) full.ema = toJsonArray(values);
        break;
      }
      case 'wma': {
        const values = wma(close, SETTINGS.wma.period);
        latest.wma = values[last];
        if (full) full.wma = toJsonArray(values);
        break;
      }
      case 'atr': {
        const values = atr(series.high, series.low, close, SETTINGS.atr.period);
        latest.atr = values[last];
        if (full) full.atr = toJsonArray(values);
        break;
      }
      case 'stochastic': {
        const { period, signal, smoothing } = SETTINGS.stochastic;
        const { k, d } = stochastic(series.high, series.low, close, period, signal, smoothing);
        latest.stochastic = { k: k[last], d: d[last] };
        if (full) full.stochastic = { k: toJsonArray(k), d: toJsonArray(d) };
        break;
      }
      case 'obv': {
        const values = obv(close, series.volume);
        latest.obv = values[last];
        if (full) full.obv = toJsonArray(values);
        break;
      }
      case 'vwap': {
        const values = vwap(series.high, series.low, close, series.volume);
        latest.vwap = values[last];
        if (full) full.vwap = toJsonArray(values);
        break;
      }
    }
  }
  const row = rowOf(series, indicators, latest);
  if (full) row.series = full;
  return row;
}
