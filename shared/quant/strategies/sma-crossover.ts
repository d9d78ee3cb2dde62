import { DEFAULT_MAX_BARS } from '../bar-limits.js';
import { defineStrategy } from '../../strategy-sdk/define-strategy.js';
import { sma as smaRequest } from '../../strategy-sdk/indicator-requests.js';
import { crossover } from '../../strategy-sdk/signal-rules.js';
import { sma, SmaOrder } from '../indicators/sma.js';
import { tickGrid, type TickGrid } from '../indicators/tick-grid.js';
import { EquityAccumulator, type PerformanceMetrics } from '../metrics.js';
import { simulate, type TradingCosts } from './execution.js';
import { crossoverSignals } from './rules.js';
import { SignalBuffer, type StrategyDefinition } from './types.js';

export type { TradingCosts } from './execution.js';

/**
 * SMA crossover: at the close of bar t (t ≥ slow−1) the target is long when
 * SMA(fast)[t] > SMA(slow)[t], else flat (or short with short = 1); an exact tie is not long.
 * On the closes' decimal tick grid the decision is exact (the SMAs are correctly rounded exact
 * means, and where their doubles are equal SmaOrder compares the window sums exactly); off the
 * grid it compares the float SMAs, a tie of the doubles being a tie. Fills, costs, sizing and
 * marking are the execution core's (execution.ts): next open, slippage against us, fee per
 * side, all-in, equity marked at each close, an open position at the end stays open.
 *
 * Written on the strategy SDK as a declarative rule (docs/strategies.md), as a user's would be:
 * the engine compiles it into a tight loop over the shared SMA arrays (signal-loop.ts).
 *
 * Speed: the SMA arrays come from an SmaBank or the IndicatorCache (each period computed once
 * per series and shared by every combination of a sweep); the signal pass and the core
 * allocate nothing per bar, and flat stretches cost only the SMA comparison. A continued run
 * (incremental re-run) computes its SMAs from its first new bar only.
 */
export const smaCrossoverSource = defineStrategy({
  name: 'sma-crossover',
  description: 'long while SMA(fast) > SMA(slow) (short otherwise with short = 1)',
  params: {
    fast: { min: 1, max: DEFAULT_MAX_BARS, period: true, default: { start: 5, stop: 50, step: 5 }, description: 'fast SMA period' },
    slow: { min: 2, max: DEFAULT_MAX_BARS, period: true, default: { start: 20, stop: 200, step: 10 }, description: 'slow SMA period' },
  },
  constraint: ['fast', 'slow'],
  indicators: (p) => ({ fast: smaRequest(p.fast), slow: smaRequest(p.slow) }),
  warmup: (p) => p.slow - 1,
  signal: () => crossover('fast', 'slow'),
});

export interface SmaCrossoverParams {
  fast: number;
  slow: number;
}

let scratch = new SignalBuffer(1);

/**
 * Runs one long/flat combination and stores its totals in `acc` (which is reset first).
 * fastSma and slowSma are SMA arrays of the closes (NaN warm-up) with fast < slow ≤ N; `exact`
 * (SmaBank.order) decides the bars where their doubles are equal.
 */
export function runSmaCrossover(
  open: Float64Array,
  close: Float64Array,
  fastSma: Float64Array,
  slowSma: Float64Array,
  slowPeriod: number,
  costs: TradingCosts,
  acc: EquityAccumulator,
  exact?: SmaOrder,
): EquityAccumulator {
  scratch = scratch.reset(close.length);
  crossoverSignals(fastSma, slowSma, slowPeriod - 1, false, scratch, exact);
  return simulate(open, close, scratch, costs, acc);
}

const DEFAULT_BANK_BYTES = 256 * 1024 * 1024;

/**
 * SMA arrays of one series, computed once per period and shared across a sweep. Bounded by a
 * byte budget (least recently used arrays are dropped; at least two are always kept, the pair a
 * kernel call needs). A recomputed array is bit-identical, so the budget never changes results.
 */
export class SmaBank {
  private readonly arrays = new Map<number, Float64Array>();
  private readonly maxArrays: number;
  /** The values' tick grid (undefined: none). */
  readonly grid: TickGrid | undefined;

  constructor(
    readonly values: Float64Array,
    budgetBytes = DEFAULT_BANK_BYTES,
  ) {
    this.grid = tickGrid(values);
    const bytesPerArray = Math.max(1, values.length * Float64Array.BYTES_PER_ELEMENT);
    this.maxArrays = Math.max(2, Math.floor(budgetBytes / bytesPerArray));
  }

  get(period: number): Float64Array {
    const cached = this.arrays.get(period);
    if (cached) {
      this.arrays.delete(period);
      this.arrays.set(period, cached);
      return cached;
    }
    if (this.arrays.size >= this.maxArrays) {
      // Dropped, not recycled: a caller may still hold it.
      const oldest = this.arrays.keys().next().value as number;
      this.arrays.delete(oldest);
    }
    const array = sma(this.values, period, undefined, this.grid ?? null);
    this.arrays.set(period, array);
    return array;
  }

  /** The exact order of SMA(fast) and SMA(slow) where their doubles tie (undefined off the grid). */
  order(fast: number, slow: number): SmaOrder | undefined {
    return SmaOrder.of(this.grid, fast, slow);
  }

  get size(): number {
    return this.arrays.size;
  }
}

/** One combination over one series, end to end (convenience; a sweep should share one bank). */
export function backtestSmaCrossover(
  series: { open: Float64Array; close: Float64Array },
  params: SmaCrossoverParams,
  costs: TradingCosts,
  periodsPerYear: number,
  bank: SmaBank = new SmaBank(series.close),
): PerformanceMetrics {
  const { fast, slow } = params;
  if (!Number.isInteger(fast) || !Number.isInteger(slow) || fast < 1 || fast >= slow || slow > series.close.length) {
    throw new RangeError(`need integers 1 ≤ fast < slow ≤ bars, got fast ${fast}, slow ${slow}`);
  }
  const fastSma = bank.get(fast);
  const slowSma = bank.get(slow);
  const acc = runSmaCrossover(series.open, series.close, fastSma, slowSma, slow, costs, new EquityAccumulator(), bank.order(fast, slow));
  return acc.metrics(periodsPerYear);
}
