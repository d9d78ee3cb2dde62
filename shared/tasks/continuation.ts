import { MAX_PARTITION_CHECKPOINT_BYTES } from '../grpc/message-limits.js';
import type { UnitRange } from '../quant/ranges.js';

/** A job's size as TaskKind.measure gives it (task-kind.ts's WorkSize, which imports this file). */
interface WorkSize {
  units: number;
  costPerUnit: number;
}

/**
 * Incremental re-runs, as a task kind offers them (TaskKind.continuation) and the cluster carries
 * them (docs/durability.md, "Incremental re-runs"):
 *
 *  - a job on a stored dataset leaves, for each unit, a checkpoint at its last bar;
 *  - a later job whose spec is identical except for the dataset (same `lineageKey`), on a dataset
 *    that extends the first one's (its lineage: `data append`), is given those checkpoints, and each
 *    unit with one simulates only the bars after it;
 *  - the task code (the kind's run) checks each checkpoint against the data it runs on, and a unit
 *    whose checkpoint does not match runs from its first bar: a checkpoint never makes a result wrong.
 *
 * Checkpoints are opaque bytes to everything but the kind, and belong to a unit (not a partition),
 * so a re-run planned into other partitions (more or fewer nodes) still finds every unit's.
 */

/** Most bytes of one unit's checkpoint (the kinds' own checkpoints are smaller; agents refuse larger ones). */
export const MAX_UNIT_CHECKPOINT_BYTES = 256;

/** What a checkpoint costs on the wire beside its bytes (unit field and length prefixes), for the budget. */
export const CHECKPOINT_FRAMING_BYTES = 16;

/** Most units a partition of a continuing kind gets, so that all its checkpoints fit in one message either way. */
export const MAX_CHECKPOINT_UNITS_PER_PARTITION = Math.floor(MAX_PARTITION_CHECKPOINT_BYTES / (MAX_UNIT_CHECKPOINT_BYTES + CHECKPOINT_FRAMING_BYTES));

/** A unit's checkpoint: its index in the kind's unit numbering and the kind's bytes. */
export interface UnitCheckpoint {
  unit: number;
  data: Uint8Array;
}

/** What a partition's units simulated (PartitionWork on the wire). */
export interface PartitionWork {
  /** Units that went on from a checkpoint. */
  unitsContinued: number;
  /** Units given a checkpoint that did not match their data or computation (they ran from their first bar). */
  unitsRejected: number;
  /** Units that ran from their first bar (no checkpoint, or a rejected one). */
  unitsFull: number;
  /** Bars the units simulated, summed (a continued unit: only the bars after its checkpoint). */
  barsSimulated: number;
}

export const NO_WORK: Readonly<PartitionWork> = Object.freeze({ unitsContinued: 0, unitsRejected: 0, unitsFull: 0, barsSimulated: 0 });

/** The sum of two counts of work. */
export function addWork(a: PartitionWork, b: PartitionWork): PartitionWork {
  return {
    unitsContinued: a.unitsContinued + b.unitsContinued,
    unitsRejected: a.unitsRejected + b.unitsRejected,
    unitsFull: a.unitsFull + b.unitsFull,
    barsSimulated: a.barsSimulated + b.barsSimulated,
  };
}

/** A kind's side of incremental re-runs (TaskKind.continuation). */
export interface KindContinuation<Spec, Partition, Partial = unknown> {
  /**
   * The stored dataset (its id) along whose lineage a run of this spec may continue, or undefined
   * when the spec's runs neither leave nor take checkpoints (synthetic data, a mode the kind cannot continue).
   */
  dataset(spec: Spec): string | undefined;
  /**
   * What "the same job, but for the dataset" means: a digest of everything in the spec except the
   * dataset it reads. Two specs with the same key and datasets of one lineage number their units alike.
   */
  lineageKey(spec: Spec): string;
  /** The units a partition covers (checkpoints are stored and looked up by unit index). */
  units(partition: Partition): UnitRange;
  /**
   * Kinds that also take over part of a completed job's merged work, beside unit checkpoints (the
   * backtest's walk-forward windows): `keep` says what of a completed job's partials the next run
   * needs (JSON; undefined: nothing), `resume` how a later job's partition skips that work, and
   * `partial` the partial the later job's merge takes beside its own.
   */
  carry?: {
    keep(spec: Spec, partials: readonly Partial[]): unknown;
    resume(spec: Spec, partition: Partition, kept: unknown): Partition;
    partial(spec: Spec, kept: unknown): Partial;
  };
}

/**
 * RunContext.continuation: what run() is given and gives back in a job that keeps checkpoints.
 * Absent in a job that does not (run() then neither reads nor leaves checkpoints).
 */
export interface ContinuationContext {
  /** The checkpoint an earlier job left for this unit, or undefined (the unit runs from its first bar). */
  checkpoint(unit: number): Uint8Array | undefined;
  /** Leaves the unit's checkpoint at its last bar for a later job (at most MAX_UNIT_CHECKPOINT_BYTES). */
  leave(unit: number, data: Uint8Array): void;
  /** Adds to the partition's count of work (what its units simulated). */
  count(work: PartitionWork): void;
}

/** Bytes a list of checkpoints takes in a message, framing included. */
export function checkpointBytes(checkpoints: readonly UnitCheckpoint[]): number {
  let bytes = 0;
  for (const checkpoint of checkpoints) bytes += checkpoint.data.byteLength + CHECKPOINT_FRAMING_BYTES;
  return bytes;
}

/**
 * The checkpoints that travel in one message: those within MAX_UNIT_CHECKPOINT_BYTES, in the
 * given order, until `budget` bytes (framing included) are used; the rest are left out (their units
 * run from their first bar next time: slower, never wrong). Also returns how many were left out.
 */
export function checkpointsWithinBudget(checkpoints: readonly UnitCheckpoint[], budget = MAX_PARTITION_CHECKPOINT_BYTES): { kept: UnitCheckpoint[]; dropped: number } {
  const kept: UnitCheckpoint[] = [];
  let used = 0;
  for (const checkpoint of checkpoints) {
    const size = checkpoint.data.byteLength;
    if (size === 0 || size > MAX_UNIT_CHECKPOINT_BYTES) continue;
    if (used + size + CHECKPOINT_FRAMING_BYTES > budget) break;
    used += size + CHECKPOINT_FRAMING_BYTES;
    kept.push(checkpoint);
  }
  return { kept, dropped: checkpoints.length - kept.length };
}

/**
 * A job's size when it continues from an earlier run on `previousBars` of its dataset's `bars`
 * (bar counts of the stored datasets): each unit simulates only the new share of the bars, plus
 * what a unit costs however few bars it simulates (reading its checkpoint, its metrics, its
 * ranking; about CONTINUED_UNIT_COST bar evaluations). For planning only: fewer, larger partitions
 * than a full run's, since each partition also has fixed costs (its indicators, its equity curves).
 */
export function continuedWork(work: WorkSize, previousBars: number, bars: number): WorkSize {
  if (!(bars > 0) || !(previousBars >= 0) || previousBars >= bars) return { units: work.units, costPerUnit: Math.min(work.costPerUnit, CONTINUED_UNIT_COST) };
  const share = (bars - previousBars) / bars;
  return { units: work.units, costPerUnit: Math.min(work.costPerUnit, work.costPerUnit * share + CONTINUED_UNIT_COST) };
}

/** What a continued unit costs beside its new bars, in bar evaluations (measured: ≈ 20–40 µs a unit at ≈ 100 M bar evaluations/s). */
export const CONTINUED_UNIT_COST = 3000;

/** Fewest partitions a job of `units` units must have for every partition's checkpoints to fit in a message. */
export function minPartitionsForCheckpoints(units: number): number {
  return Math.max(1, Math.ceil(units / MAX_CHECKPOINT_UNITS_PER_PARTITION));
}

/** A ContinuationContext over the checkpoints given (by unit) that collects what run() leaves and counts. */
export class CollectingContinuation implements ContinuationContext {
  private readonly given: Map<number, Uint8Array>;
  readonly left: UnitCheckpoint[] = [];
  work: PartitionWork = { ...NO_WORK };

  constructor(given: readonly UnitCheckpoint[] = []) {
    this.given = new Map(given.map((checkpoint) => [checkpoint.unit, checkpoint.data]));
  }

  checkpoint(unit: number): Uint8Array | undefined {
    return this.given.get(unit);
  }

  leave(unit: number, data: Uint8Array): void {
    if (data.byteLength > MAX_UNIT_CHECKPOINT_BYTES) throw new RangeError(`unit ${unit}'s checkpoint is ${data.byteLength} bytes, over ${MAX_UNIT_CHECKPOINT_BYTES}`);
    this.left.push({ unit, data });
  }

  count(work: PartitionWork): void {
    this.work = addWork(this.work, work);
  }
}
