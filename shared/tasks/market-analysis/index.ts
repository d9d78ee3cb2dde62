import { resolveStoredDataset, storedDatasetIds } from '../stored-datasets.js';
import type { TaskKind } from '../task-kind.js';
import { marketAnalysisContinuation } from './continuation.js';
import { mergeMarketAnalysis, type MarketAnalysisResult } from './merge.js';
import { measureMarketAnalysis, planMarketAnalysis, type MarketAnalysisPartition } from './plan.js';
import { runMarketAnalysisPartition, type MarketAnalysisPartial } from './run.js';
import { MARKET_ANALYSIS_DEFAULTS, MARKET_ANALYSIS_LIMITS, marketAnalysisSpecToWire, validateMarketAnalysisSpec, type MarketAnalysisSpec } from './spec.js';

export type { MarketAnalysisSpec, IndicatorName } from './spec.js';
export { INDICATORS } from './spec.js';
export { MARKET_ANALYSIS_DEFAULTS, MARKET_ANALYSIS_LIMITS };
export type { MarketAnalysisPartition } from './plan.js';
export type { MarketAnalysisPartial } from './run.js';
export type { MarketAnalysisResult } from './merge.js';
export type { MarketAnalysisRow } from './analyse.js';

/** Indicators and signals per asset and timeframe. */
export const marketAnalysisKind: TaskKind<MarketAnalysisSpec, MarketAnalysisPartition, MarketAnalysisPartial, MarketAnalysisResult, 'market-analysis'> = {
  name: 'market-analysis',
  description: 'compute indicators (RSI, MACD, Bollinger bands, volume profile, …) and signals per asset and timeframe',
  specMember: 'marketAnalysis',
  specField: 'market_analysis',
  defaults: MARKET_ANALYSIS_DEFAULTS,
  limits: MARKET_ANALYSIS_LIMITS,
  version: '3',
  capabilities: ['market-analysis'],
  cacheable: true,
  continuation: marketAnalysisContinuation,
  sampleSpecs: [{ assets: ['BTCUSDT'] }, { assets: ['A', 'B'], timeframes: ['4h', '1h'], indicators: ['macd', 'rsi'], includeSeries: true, dataset: { bars: 800 } }],
  validate: validateMarketAnalysisSpec,
  // Several timeframes may resample one dataset: the spec carries the stored bar count, each row its own.
  resolveDatasets: (raw, index) => resolveStoredDataset(raw, { field: 'market_analysis', symbols: 'assets', timeframes: 'timeframes', single: false }, index),
  datasets: (spec) => storedDatasetIds(spec.dataset),
  toWire: marketAnalysisSpecToWire,
  measure: measureMarketAnalysis,
  plan: planMarketAnalysis,
  run: runMarketAnalysisPartition,
  merge: mergeMarketAnalysis,
};
