import { createHash } from 'node:crypto';
import { storedDatasetId } from '../../quant/dataset.js';
import type { KindContinuation } from '../continuation.js';
import type { BacktestPartition } from './plan.js';
import type { BacktestSpec } from './spec.js';

/** JSON with every object's keys sorted, so equal specs give equal text whatever order their fields were built in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).filter((key) => record[key] !== undefined).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Two backtests are "identical except the dataset" when every field of their validated specs but
 * `dataset` is equal: the same symbols (so the same unit numbering), timeframe, strategy, ranges,
 * search, settings, costs, objective, constraints and outputs. The dataset's name and bar count are
 * left out, and nothing else: a job that differs in anything else starts from bar 0.
 */
export function backtestLineageKey(spec: BacktestSpec): string {
  const rest: Record<string, unknown> = { ...spec };
  delete rest.dataset;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/**
 * Backtests on a stored dataset leave a checkpoint per unit (symbol × combination) and continue
 * from them; walk-forward runs do not (their units include windows, whose number grows with the data).
 */
export const backtestContinuation: KindContinuation<BacktestSpec, BacktestPartition> = {
  dataset: (spec) => (spec.walkForward ? undefined : storedDatasetId(spec.dataset.name)),
  lineageKey: backtestLineageKey,
  units: (partition) => ({ first: partition.first, count: partition.count }),
};
