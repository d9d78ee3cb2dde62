import { createHash } from 'node:crypto';
import { storedDatasetId } from '../../quant/dataset.js';
import type { KindContinuation } from '../continuation.js';
import type { RunContext } from '../task-kind.js';
import { CHECKPOINT_BYTES } from './checkpoint.js';
import type { BacktestPartition } from './plan.js';
import { runBacktestPartition, type BacktestPartial } from './run.js';
import type { BacktestSpec } from './spec.js';
import type { WindowEntry } from './walk-forward-run.js';
import { firstNewWindow, reusedWindows } from './walk-forward-reuse.js';

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
 * search, settings, costs, objective, constraints, walk-forward windows' sizes and outputs. Left
 * out are the dataset's name and bar count and what follows from the bar count alone (the number of
 * walk-forward windows), nothing else: a job that differs in anything else starts from bar 0.
 */
export function backtestLineageKey(spec: BacktestSpec): string {
  const rest: Record<string, unknown> = { ...spec };
  delete rest.dataset;
  if (spec.walkForward) rest.walkForward = { inSampleBars: spec.walkForward.inSampleBars, outOfSampleBars: spec.walkForward.outOfSampleBars, anchored: spec.walkForward.anchored };
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** What a walk-forward job carries over to the next run: its bar count and every window it computed. */
export interface KeptWindows {
  bars: number;
  windows: WindowEntry[];
}

/**
 * Backtests on a stored dataset continue: a sweep's units (symbol × combination) from their
 * checkpoints, a walk-forward job by taking over the windows the last job computed (every window
 * that ends within its bars is the same computation; walk-forward-reuse.ts) and running only the new ones.
 */
export const backtestContinuation: KindContinuation<BacktestSpec, BacktestPartition, BacktestPartial> = {
  dataset: (spec) => storedDatasetId(spec.dataset.name),
  lineageKey: backtestLineageKey,
  units: (partition) => ({ first: partition.first, count: partition.count }),
  carry: {
    keep: (spec, partials): KeptWindows | undefined => (spec.walkForward ? { bars: spec.dataset.bars, windows: reusedWindows(partials, Infinity).walkForward.windows } : undefined),
    resume: (spec, partition, kept) =>
      spec.walkForward ? { first: partition.first, count: partition.count, resume: { firstWindow: firstNewWindow(spec.walkForward, (kept as KeptWindows).bars) } } : partition,
    partial: (spec, kept) => {
      const { bars, windows } = kept as KeptWindows;
      return reusedWindows([{ walkForward: { windows } }], spec.walkForward ? firstNewWindow(spec.walkForward, bars) : 0);
    },
  },
};

/** True when every byte of a record is 0: the engine's "no checkpoint" (checkpoint.ts). */
function isEmptyRecord(bytes: Uint8Array, offset: number): boolean {
  for (let i = offset; i < offset + CHECKPOINT_BYTES; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * The kind's run() in the cluster: the checkpoints the coordinator sent for the partition's units
 * (RunContext.continuation) become the engine's `resume` records (all-zero for a unit without one),
 * and the records the engine leaves in the partial go back by unit, out of the partial: what is
 * recorded, cached and merged is the partial of a full run. Agents always give a backtest a
 * continuation (one without checkpoints for synthetic data or walk-forward, whose records are
 * dropped); without one (a caller of the engine itself) the partial is the engine's, as is.
 */
export function runBacktestInCluster(spec: BacktestSpec, partition: BacktestPartition, context: RunContext): BacktestPartial {
  const continuation = context.continuation;
  if (!continuation) return runBacktestPartition(spec, partition, context);
  const { first, count } = partition;
  const records = new Uint8Array(count * CHECKPOINT_BYTES);
  let given = 0;
  for (let i = 0; i < count; i++) {
    const data = continuation.checkpoint(first + i);
    if (!data) continue;
    // A record of another size is no checkpoint of this engine: marked as one that cannot match (version 255), so it counts as rejected.
    if (data.byteLength === CHECKPOINT_BYTES) records.set(data, i * CHECKPOINT_BYTES);
    else records[i * CHECKPOINT_BYTES] = 0xff;
    given++;
  }
  // Keeps what else the partition resumes with (a walk-forward partition's firstWindow).
  const resumed: BacktestPartition = given > 0 ? { ...partition, resume: { ...partition.resume, checkpoints: Buffer.from(records.buffer).toString('base64') } } : partition;
  const partial = runBacktestPartition(spec, resumed, context);
  if (partial.checkpoints) {
    const left = Buffer.from(partial.checkpoints, 'base64');
    const units = Math.floor(left.byteLength / CHECKPOINT_BYTES);
    for (let i = 0; i < units; i++) {
      const offset = i * CHECKPOINT_BYTES;
      if (!isEmptyRecord(left, offset)) continuation.leave(partial.first + i, new Uint8Array(left.subarray(offset, offset + CHECKPOINT_BYTES)));
    }
  }
  // A sweep counts its units' work (a walk-forward partition has no such counts).
  const counts = partial.incremental;
  if (counts) {
    continuation.count({ unitsContinued: counts.continued, unitsRejected: counts.rejected, unitsFull: partial.evaluated - counts.continued, barsSimulated: counts.simulatedBars });
  }
  delete partial.checkpoints;
  delete partial.incremental;
  return partial;
}
