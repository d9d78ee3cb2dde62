/**
 * A task kind is defined once, here in shared/, and used by both sides:
 * the coordinator validates, plans and merges; an agent's worker thread runs partitions.
 *
 *   validate(raw) → spec            (coordinator, on submit; throws ValidationError)
 *   plan(spec, target) → partitions (coordinator; partitions are JSON-serialisable)
 *   run(spec, partition, ctx) → partial result   (agent worker thread, CPU-bound, synchronous)
 *   merge(spec, partials) → result  (coordinator; partials in partition order)
 *
 * The merged result must not depend on how the job was partitioned.
 */
export interface TaskKind<Spec, Partition, Partial, Result> {
  /** Wire name: "backtest", "market-analysis", "noop". */
  readonly name: string;
  /** Bumped whenever run() or merge() would give a different answer for the same input. */
  readonly version: string;
  /** Capabilities an agent must advertise to be given partitions of this kind. */
  readonly capabilities: readonly string[];
  /**
   * Whether a partition's result may be reused from the partition result cache by a later job with
   * the same kind version, spec and partition (false for kinds whose point is the work itself).
   */
  readonly cacheable: boolean;

  /**
   * Checks and normalises a raw spec (the proto message as decoded: camelCase fields, defaults filled).
   * Throws ValidationError naming the field by its proto path, e.g. "backtest.params.fast".
   */
  validate(raw: unknown, limits: SpecLimits): Spec;

  /**
   * Size of the job in indivisible units (e.g. symbol × parameter combinations, assets × timeframes)
   * and a rough cost per unit, so the planner can choose a partition count.
   */
  measure(spec: Spec): WorkSize;

  /** Splits the job into at most target.partitions partitions (at least 1). */
  plan(spec: Spec, target: PlanTarget): Partition[];

  /** Computes one partition. Runs in a worker thread; must not do I/O. */
  run(spec: Spec, partition: Partition, context: RunContext): Partial;

  /** Combines the partial results (given in partition order) into the job's result. */
  merge(spec: Spec, partials: readonly Partial[]): Result;
}

/** Caps on job size, from the coordinator's config, so one job cannot swamp the cluster. */
export interface SpecLimits {
  /** Most units of work (e.g. symbol × parameter combinations) one job may have. */
  maxUnits: number;
  /** Most bars per series. */
  maxBars: number;
}

export const DEFAULT_SPEC_LIMITS: SpecLimits = { maxUnits: 1_000_000, maxBars: 5_000_000 };

export interface WorkSize {
  /** Number of indivisible units; no partition gets less than one. */
  units: number;
  /** Estimated cost of one unit in arbitrary but comparable units (≈ bar evaluations). */
  costPerUnit: number;
}

export interface PlanTarget {
  partitions: number;
}

export interface RunContext {
  /** Report progress of this partition, 0..1. Cheap; may be called often. */
  reportProgress(fraction: number): void;
  /** True once the partition was cancelled; long loops should check it and stop. */
  isCancelled(): boolean;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTaskKind = TaskKind<any, any, any, any>;
