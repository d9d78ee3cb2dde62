import { splitRange, type UnitRange } from '../../quant/ranges.js';
import type { PlanTarget, WorkSize } from '../task-kind.js';
import type { BacktestSpec } from './spec.js';

/**
 * Units are numbered symbol-major: unit u is symbol ⌊u / C⌋ with combination u mod C
 * (C = spec.combinations, combinations in the sweep order of grid.ts). A partition is a contiguous run of units.
 */
export type BacktestPartition = UnitRange;

export function backtestUnits(spec: BacktestSpec): number {
  return spec.symbols.length * spec.combinations;
}

export function measureBacktest(spec: BacktestSpec): WorkSize {
  // One unit walks every bar once.
  return { units: backtestUnits(spec), costPerUnit: spec.dataset.bars };
}

export function planBacktest(spec: BacktestSpec, target: PlanTarget): BacktestPartition[] {
  return splitRange(backtestUnits(spec), target.partitions);
}
