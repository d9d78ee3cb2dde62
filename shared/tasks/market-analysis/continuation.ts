import { createHash } from 'node:crypto';
import { storedDatasetId } from '../../quant/dataset.js';
import type { KindContinuation } from '../continuation.js';
import type { MarketAnalysisPartition } from './plan.js';
import type { MarketAnalysisPartial } from './run.js';
import type { MarketAnalysisSpec } from './spec.js';

/**
 * Two market analyses are "identical except the dataset" when their assets and timeframes (so the
 * unit numbering), indicators and include_series are equal.
 */
export function marketAnalysisLineageKey(spec: MarketAnalysisSpec): string {
  const rest = { assets: spec.assets, timeframes: spec.timeframes, indicators: spec.indicators, includeSeries: spec.includeSeries };
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

/**
 * Market analyses on a stored dataset continue: each unit (asset × timeframe) from its indicators'
 * states (checkpoint.ts, continue.ts). A spec with include_series does not (every value of every
 * series is output, so every bar is computed).
 */
export const marketAnalysisContinuation: KindContinuation<MarketAnalysisSpec, MarketAnalysisPartition, MarketAnalysisPartial> = {
  dataset: (spec) => (spec.includeSeries ? undefined : storedDatasetId(spec.dataset.name)),
  lineageKey: marketAnalysisLineageKey,
  units: (partition) => ({ first: partition.first, count: partition.count }),
};
