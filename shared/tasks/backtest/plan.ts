import { splitRange, type UnitRange } from '../../quant/ranges.js';
import type { PlanTarget, WorkSize } from '../task-kind.js';
import type { BacktestSpec } from './spec.js';

/**
 * Units are numbered symbol-major: unit u is symbol ⌊u / C⌋ with combination u mod C
 * (C = spec.combinations, in the order of sweepOf: the grid's, or the random sample's).
 * Walk-forward units add the window as the fastest digit (walk-forward-run.ts).
 * A partition is a contiguous run of units.
 */
export type BacktestPartition = UnitRange;

export function backtestUnits(spec: BacktestSpec): number {
  return spec.symbols.length * spec.combinations * (spec.walkForward?.windows ?? 1);
}

export function measureBacktest(spec: BacktestSpec): WorkSize {
  const walkForward = spec.walkForward;
  // One unit walks every bar once; a walk-forward unit its in-sample bars, plus its share of the
  // combination's signals over the whole series.
  const costPerUnit = walkForward ? walkForward.inSampleBars + spec.dataset.bars / walkForward.windows : spec.dataset.bars;
  return { units: backtestUnits(spec), costPerUnit };
}

export function planBacktest(spec: BacktestSpec, target: PlanTarget): BacktestPartition[] {
  return splitRange(backtestUnits(spec), target.partitions);
}
