import { quoteInput } from '../../quote-input.js';
import { ValidationError } from '../../errors.js';
import { asRecord, DEFAULT_SEED, MAX_SEED, MIN_BARS, validateDataset, validateSymbols, type DatasetSpec } from '../../quant/dataset.js';
import { isTimeframe, TIMEFRAMES, type Timeframe } from '../../quant/timeframes.js';
import type { SpecLimits } from '../task-kind.js';

/** Indicator names as given in a spec, in the canonical order results use. */
export const INDICATORS = ['rsi', 'macd', 'bollinger', 'volume-profile', 'sma', 'ema', 'wma', 'atr', 'stochastic', 'obv', 'vwap'] as const;
export type IndicatorName = (typeof INDICATORS)[number];
export const DEFAULT_TIMEFRAMES: readonly Timeframe[] = ['1h'];
/** Synthetic bars per asset and timeframe when the spec gives none. */
export const DEFAULT_BARS = 5000;

/** What a market-analysis spec that leaves a field out gets (applied by validateMarketAnalysisSpec, on the server). */
export const MARKET_ANALYSIS_DEFAULTS = {
  timeframes: DEFAULT_TIMEFRAMES,
  bars: DEFAULT_BARS,
  seed: DEFAULT_SEED,
  /** No indicators given: every one of INDICATORS. */
  indicators: INDICATORS,
} as const;

/** Bounds validateMarketAnalysisSpec enforces beyond the coordinator's SpecLimits. */
export const MARKET_ANALYSIS_LIMITS = { minBars: MIN_BARS, maxSeed: MAX_SEED } as const;

/** A validated, normalised market-analysis spec (plain JSON). */
export interface MarketAnalysisSpec {
  assets: string[];
  timeframes: Timeframe[];
  dataset: DatasetSpec;
  /** Unique, in the order of INDICATORS. */
  indicators: IndicatorName[];
  includeSeries: boolean;
}

function stringList(raw: unknown, field: string): unknown[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ValidationError(field, 'must be a list of strings');
  return raw;
}

export function validateMarketAnalysisSpec(raw: unknown, limits: SpecLimits): MarketAnalysisSpec {
  const input = asRecord(raw, 'market_analysis');
  const assets = validateSymbols(input.assets, 'market_analysis.assets', limits.maxUnits);

  const rawTimeframes = stringList(input.timeframes, 'market_analysis.timeframes');
  const timeframes: Timeframe[] = [];
  rawTimeframes.forEach((value, i) => {
    const field = `market_analysis.timeframes[${i}]`;
    if (!isTimeframe(value)) throw new ValidationError(field, `unsupported ${quoteInput(String(value))} (one of ${TIMEFRAMES.join(' ')})`);
    if (timeframes.includes(value)) throw new ValidationError(field, `duplicate ${quoteInput(value)}`);
    timeframes.push(value);
  });
  if (timeframes.length === 0) timeframes.push(...DEFAULT_TIMEFRAMES);

  const dataset = validateDataset(input.dataset, 'market_analysis.dataset', limits, DEFAULT_BARS);

  const requested = new Set<IndicatorName>();
  stringList(input.indicators, 'market_analysis.indicators').forEach((value, i) => {
    if (typeof value !== 'string' || !(INDICATORS as readonly string[]).includes(value)) {
      throw new ValidationError(`market_analysis.indicators[${i}]`, `unknown indicator ${quoteInput(String(value))} (known: ${INDICATORS.join(' ')})`);
    }
    requested.add(value as IndicatorName);
  });
  const indicators = requested.size === 0 ? [...INDICATORS] : INDICATORS.filter((name) => requested.has(name));

  const includeSeries = input.includeSeries ?? false;
  if (typeof includeSeries !== 'boolean') throw new ValidationError('market_analysis.include_series', 'must be a boolean');

  const units = assets.length * timeframes.length;
  if (units > limits.maxUnits) {
    throw new ValidationError(
      'market_analysis.assets',
      `${units} units (${assets.length} assets × ${timeframes.length} timeframes) exceed the limit of ${limits.maxUnits}`,
    );
  }
  return { assets, timeframes, dataset, indicators, includeSeries };
}

/** A validated spec as the proto MarketAnalysisSpec (camelCase): validateMarketAnalysisSpec of it gives the spec back. */
export function marketAnalysisSpecToWire(spec: MarketAnalysisSpec): Record<string, unknown> {
  return {
    assets: [...spec.assets],
    timeframes: [...spec.timeframes],
    dataset: { ...spec.dataset },
    // Every indicator is sent as none, which means all (and reads as "all" in listings).
    indicators: spec.indicators.length === INDICATORS.length ? [] : [...spec.indicators],
    includeSeries: spec.includeSeries,
  };
}
