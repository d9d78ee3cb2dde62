import { DEFAULT_MAX_BARS } from '../quant/bar-limits.js';
import type { ContinuationContext, KindContinuation } from './continuation.js';
import type { DatasetIndex } from './stored-datasets.js';
import type { StrategyIndex } from './stored-strategies.js';

/**
 * A task kind is defined once, in its folder shared/tasks/<kind>/, and used by every side:
 * the coordinator validates, plans and merges; an agent's worker thread runs partitions; the CLI
 * takes the kind's defaults and limits for its help and checks, and renders its typed result.
 *
 *   resolveDatasets(raw, index)     (coordinator, on submit, before validate: fills stored datasets)
 *   resolveStrategies(raw, index)   (coordinator, on submit, before validate: a user strategy → NAME@ID)
 *   validate(raw) → spec            (coordinator, on submit, once; applies the defaults; throws ValidationError)
 *   plan(spec, target) → partitions (coordinator; partitions are JSON-serialisable)
 *   run(spec, partition, ctx) → partial result   (agent worker thread, CPU-bound, synchronous)
 *   merge(spec, partials) → result  (coordinator; partials in partition order)
 *
 * The merged result must not depend on how the job was partitioned.
 */
export interface TaskKind<Spec, Partition, Partial, Result, Name extends string = string> {
  /** The one name of the kind on every surface (Job.kind, the CLI, listings, messages): "backtest", "market-analysis", "noop". */
  readonly name: Name;
  /** One line saying what the kind computes, for listings and help. */
  readonly description: string;
  /** The JobSpec oneof member that carries this kind's spec, as decoded (camelCase, e.g. "marketAnalysis"). */
  readonly specMember: string;
  /** The member's proto field name (e.g. "market_analysis"): the first part of the field paths validate names. */
  readonly specField: string;
  /** What a spec that leaves a field out gets: applied by validate, on the server (the CLI shows them in its help). */
  readonly defaults: Readonly<Record<string, unknown>>;
  /** Bounds validate enforces beyond SpecLimits (the CLI checks its flags against them). */
  readonly limits: Readonly<Record<string, number>>;
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
   * Kinds whose units can go on from where an identical job on a dataset this one extends ended
   * (incremental re-runs, shared/tasks/continuation.ts); absent for the others.
   */
  readonly continuation?: KindContinuation<Spec, Partition, Partial>;
  /**
   * A few raw specs as a gRPC client might send them (decoded: camelCase, some fields left to the
   * defaults), for the tests every kind gets (tests/unit/tasks/registry.test.ts): each validates,
   * and its wire form validates back to the same spec. The first names symbols (or assets) if the
   * kind reads bars: the tests point it at a stored dataset.
   */
  readonly sampleSpecs: readonly unknown[];

  /**
   * Checks and normalises a raw spec (the proto message as decoded: camelCase fields, an unset
   * `optional` field absent) and applies the kind's defaults; validate(toWire(spec)) equals spec.
   * Throws ValidationError naming the field by its proto path, e.g. "backtest.params.fast".
   */
  validate(raw: unknown, limits: SpecLimits): Spec;

  /**
   * For a raw spec that names stored datasets: checks they exist and fit (symbols, timeframes) and
   * fills what the spec left to them (bar count, symbol, timeframe), in place, before validate.
   * Absent for kinds that read no bars.
   */
  resolveDatasets?(raw: unknown, index: DatasetIndex): Promise<void>;

  /** Ids of the stored datasets a validated spec reads (an agent fetches them before running a partition). */
  datasets(spec: Spec): string[];

  /**
   * For a raw spec that names a user strategy (pushed, not built in): resolves it to the exact stored
   * version and installs its manifest, before validate. Absent for kinds that run no strategies.
   */
  resolveStrategies?(raw: unknown, index: StrategyIndex | undefined): Promise<void>;

  /** User strategies (NAME@ID) a validated spec runs (an agent fetches them before running a partition). */
  strategies?(spec: Spec): string[];

  /** A validated spec as the JobSpec member it came from (proto field names in camelCase, every field set). */
  toWire(spec: Spec): Record<string, unknown>;

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

/** The coordinator's defaults (its --max-units and --max-bars), also the CLI's upper bounds. */
export const DEFAULT_SPEC_LIMITS: SpecLimits = { maxUnits: 1_000_000, maxBars: DEFAULT_MAX_BARS };

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
  /**
   * Reports a warning to the job's log (with the partition, node and attempt). Cheap; the agent keeps
   * the first MAX_PARTITION_LOG_LINES of an attempt (shared/job-log-limits.ts). Absent where nobody listens.
   */
  warn?(message: string): void;
  /** Jobs that keep checkpoints (the kind has a continuation and the spec reads a stored dataset): the units' checkpoints in and out. */
  continuation?: ContinuationContext;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTaskKind = TaskKind<any, any, any, any, string>;
