import { splitRange, type UnitRange } from '../../quant/ranges.js';
import type { PlanTarget, WorkSize } from '../task-kind.js';
import type { BacktestSpec } from './spec.js';

/**
 * Units are numbered symbol-major: unit u is symbol ⌊u / C⌋ with combination u mod C
 * (C = spec.combinations, in the order of sweepOf: the grid's, or the random sample's).
 * Walk-forward units add the window as the fastest digit (walk-forward-run.ts).
 * A partition is a contiguous run of units.
 */
export interface BacktestPartition extends UnitRange {
  /** Set by the coordinator for an incremental re-run (absent: every unit runs from bar 0). */
  resume?: BacktestResume;
}

/**
 * An incremental re-run of a partition on a dataset version that extends the one a previous
 * identical job (same kind version and spec but the dataset) ran on.
 *
 * Sweeps: `checkpoints` holds one CHECKPOINT_BYTES record per unit of the partition, in unit
 * order from `first` (base64; in the cluster, runBacktestInCluster builds them from the checkpoints
 * the coordinator keeps by unit (CheckpointStore), whatever the previous job's partitioning: unit
 * numbers do not depend on it, nor on the bar count). A unit
 * whose record matches (checkpoint.ts) simulates only the bars after the checkpoint; one with
 * an all-zero record or a mismatch runs from bar 0.
 *
 * Walk-forward: `firstWindow` (firstNewWindow() of the previous job's bar count) skips the units
 * of windows below it: the previous job's entries for those windows are the same computation and
 * the coordinator merges them in instead (walk-forward-reuse.ts).
 */
export interface BacktestResume {
  checkpoints?: string;
  firstWindow?: number;
}

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
