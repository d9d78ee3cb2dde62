import type { IndicatorCache } from './indicator-cache.js';

/**
 * What a strategy is: a parameter schema and a rule that turns one parameter combination into
 * target positions. Everything about money (fills, fees, slippage, sizing, marking, trade
 * accounting) lives in the execution core (execution.ts); a strategy only says, at the close
 * of each bar, which position it wants from the next open on.
 */

/** One parameter of a strategy. Ranges of it are swept (start, stop, step, all inclusive). */
export interface ParamSchema {
  name: string;
  type: 'integer' | 'real';
  /** Inclusive bounds every swept value must respect. */
  min: number;
  max: number;
  /** A lookback in bars: every value must also be ≤ the series length. */
  period?: boolean;
  /** The range swept when the spec does not give this parameter. */
  defaultRange: { start: number; stop: number; step: number };
  description: string;
}

/**
 * left < right for every evaluated combination. The two parameters must be adjacent in the
 * schema, left first (the sweep then locates combinations without enumerating them).
 */
export interface LessThanConstraint {
  left: string;
  right: string;
}

/** The bars a strategy reads, and the indicator arrays of that series (computed once, shared). */
export interface StrategyInputs {
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly indicators: IndicatorCache;
}

/**
 * Target positions of one combination as a list of changes: from the close of bar[i] on the
 * target is target[i] (−1 short, 0 flat, 1 long); before the first change it is 0. Filled by a
 * strategy, read by the execution core; allocated once per series length and reused.
 */
export class SignalBuffer {
  bar: Int32Array;
  target: Int8Array;
  count = 0;

  constructor(capacity: number) {
    this.bar = new Int32Array(Math.max(1, capacity));
    this.target = new Int8Array(Math.max(1, capacity));
  }

  /** Empties the buffer and makes room for a series of n bars (at most one change per bar). */
  reset(n: number): this {
    if (this.bar.length < n) {
      this.bar = new Int32Array(n);
      this.target = new Int8Array(n);
    }
    this.count = 0;
    return this;
  }

  push(bar: number, target: number): void {
    const i = this.count++;
    this.bar[i] = bar;
    this.target[i] = target;
  }
}

/**
 * One combination's signal pass, prepared once (indicator arrays looked up, rule compiled) to run
 * over consecutive ranges of bars: a tiled backtest (shared/tasks/backtest/blocked-simulation.ts)
 * runs it block by block, each block's signals then its simulation, while the block's slices of the
 * arrays are in the caches.
 */
export interface SignalPass {
  /** The indicator arrays it reads (kept alive as long as the pass is). */
  readonly arrays: readonly Float64Array[];
  /**
   * Writes into `out` (reset here) the target changes at bars [from, to), relative to `initial`,
   * the target in force at the close of bar from − 1: the changes a whole run (signals() from the
   * pass's own `from`) writes there when `initial` is that run's target at that bar. `from` must
   * be at least the pass's own `from`.
   */
  run(out: SignalBuffer, from: number, to: number, initial: number): void;
}

export interface StrategyDefinition {
  /** Wire name, e.g. "sma-crossover". */
  readonly name: string;
  readonly description: string;
  /** The strategy's own parameters in sweep order (the common `short` parameter is added by the registry). */
  readonly params: readonly ParamSchema[];
  readonly constraints: readonly LessThanConstraint[];
  /**
   * Writes the target changes of one combination into `out` (already reset). `p` holds the
   * parameter values in schema order; `allowShort` is the common `short` parameter. Must not
   * allocate per bar; indicator arrays come from inputs.indicators.
   *
   * Continuing (incremental re-runs): with `from` > 0, decides only the bars t ≥ from, starting
   * from `initial`, the target in force at the close of bar from − 1 (what a run over bars
   * [0, from) ended with: ExecutionState.target), and writes the changes relative to it. The
   * changes equal those a run from bar 0 writes at bars ≥ from (the rule's state is its target;
   * its indicator values at bars ≥ from are bit-identical to a whole run's: SMAs computed from
   * `from` only, see sma(), the others over the whole series).
   */
  signals(inputs: StrategyInputs, p: Float64Array, allowShort: boolean, out: SignalBuffer, from?: number, initial?: number): void;
  /**
   * Optional (the built-ins: declarative rules): the same signals as a pass over ranges of bars,
   * deciding nothing before `from` (as signals() with that `from`). Absent: only signals().
   */
  prepareSignals?(inputs: StrategyInputs, p: Float64Array, allowShort: boolean, from?: number): SignalPass;
}
