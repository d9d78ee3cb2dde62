import type { TaskKind } from '../task-kind.js';
import { mergeMarketAnalysis, type MarketAnalysisResult } from './merge.js';
import { measureMarketAnalysis, planMarketAnalysis, type MarketAnalysisPartition } from './plan.js';
import { runMarketAnalysisPartition, type MarketAnalysisPartial } from './run.js';
import { validateMarketAnalysisSpec, type MarketAnalysisSpec } from './spec.js';

export type { MarketAnalysisSpec, IndicatorName } from './spec.js';
export type { MarketAnalysisPartition } from './plan.js';
export type { MarketAnalysisPartial } from './run.js';
export type { MarketAnalysisResult } from './merge.js';
export type { MarketAnalysisRow } from './analyse.js';

/** Indicators and signals per asset and timeframe. */
export const marketAnalysisKind: TaskKind<MarketAnalysisSpec, MarketAnalysisPartition, MarketAnalysisPartial, MarketAnalysisResult> = {
  name: 'market-analysis',
  version: '2',
  capabilities: ['market-analysis'],
  cacheable: true,
  validate: validateMarketAnalysisSpec,
  measure: measureMarketAnalysis,
  plan: planMarketAnalysis,
  run: runMarketAnalysisPartition,
  merge: mergeMarketAnalysis,
};
