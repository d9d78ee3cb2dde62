import { splitRange, type UnitRange } from '../../quant/ranges.js';
import type { PlanTarget, WorkSize } from '../task-kind.js';
import type { MarketAnalysisSpec } from './spec.js';

/** Units are asset-major: unit u is asset ⌊u / T⌋ on timeframe u mod T (T timeframes). */
export type MarketAnalysisPartition = UnitRange;

export function marketAnalysisUnits(spec: MarketAnalysisSpec): number {
  return spec.assets.length * spec.timeframes.length;
}

export function measureMarketAnalysis(spec: MarketAnalysisSpec): WorkSize {
  // Generating the bars plus a few passes per indicator, and more to serialise full series.
  const passes = 4 + 2 * spec.indicators.length + (spec.includeSeries ? 10 : 0);
  return { units: marketAnalysisUnits(spec), costPerUnit: spec.dataset.bars * passes };
}

export function planMarketAnalysis(spec: MarketAnalysisSpec, target: PlanTarget): MarketAnalysisPartition[] {
  return splitRange(marketAnalysisUnits(spec), target.partitions);
}
