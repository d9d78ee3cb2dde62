import { sma } from '../indicators/sma.js';
import { EquityAccumulator, type PerformanceMetrics } from '../metrics.js';

/**
 * SMA crossover, long/flat, the hot kernel of the backtest sweep.
 *
 * Semantics:
 *  - at the close of bar t (t ≥ slow−1) the target is long when SMA(fast)[t] > SMA(slow)[t], else flat;
 *  - a change of target fills at the NEXT bar's open (none after the last bar);
 *  - slippage s = slippageBps/1e4 moves the fill against us: buy at open·(1+s), sell at open·(1−s);
 *  - fee f = feeBps/1e4 per side, all-in: entry units = cash·(1−f)/buyPrice,
 *    exit cash = units·sellPrice·(1−f);
 *  - start cash 1; equity marked at every close (cash when flat, units·close when long);
 *    a position open at the end stays open, marked at the last close;
 *  - the equity curve covers all N bars (start cash during the warm-up).
 *
 * Speed: the SMA arrays come from an SmaBank (each period computed once per series and
 * shared by every combination of a sweep); the loop allocates nothing and alternates two
 * tight phases: while flat only the SMA comparison runs (equity is constant, returns are 0);
 * while long the equity, returns and drawdown are updated per bar.
 */
export interface TradingCosts {
  feeBps: number;
  slippageBps: number;
}

export interface SmaCrossoverParams {
  fast: number;
  slow: number;
}

/**
 * Runs one combination and stores its totals in `acc` (which is reset first).
 * fastSma and slowSma are SMA arrays of the closes (NaN warm-up) with fast < slow ≤ N.
 */
export function runSmaCrossover(
  open: Float64Array,
  close: Float64Array,
  fastSma: Float64Array,
  slowSma: Float64Array,
  slowPeriod: number,
  costs: TradingCosts,
  acc: EquityAccumulator,
): EquityAccumulator {
  const n = close.length;
  const buyFactor = 1 + costs.slippageBps / 1e4;
  const sellFactor = 1 - costs.slippageBps / 1e4;
  const keep = 1 - costs.feeBps / 1e4;

  let cash = 1;
  let units = 0;
  let previous = 1; // last close mark; flat bars never change it
  let sum = 0;
  let sumSq = 0;
  let peak = 1;
  let maxDrawdown = 0;
  let trades = 0;
  let closedTrades = 0;
  let wins = 0;
  let longBars = 0;

  let t = slowPeriod - 1; // first bar with a decision
  outer: while (t < n) {
    // Flat: look for a bar whose close says "long".
    while (t < n && !(fastSma[t] > slowSma[t])) t++;
    if (t >= n - 1) break; // no long signal, or one at the last close (no next open)
    t++;
    const entryCash = cash;
    const buyPrice = open[t] * buyFactor;
    units = (cash * keep) / buyPrice;
    trades++;
    // Long from the open of bar t.
    for (;;) {
      const equity = units * close[t];
      const r = previous > 0 ? equity / previous - 1 : 0;
      sum += r;
      sumSq += r * r;
      previous = equity;
      longBars++;
      if (equity > peak) peak = equity;
      else if (equity < peak * (1 - maxDrawdown)) maxDrawdown = 1 - equity / peak;
      if (t === n - 1) break outer; // still open at the end
      if (!(fastSma[t] > slowSma[t])) {
        t++;
        const sellPrice = open[t] * sellFactor;
        cash = units * sellPrice * keep;
        units = 0;
        closedTrades++;
        if (cash > entryCash) wins++;
        const exitReturn = previous > 0 ? cash / previous - 1 : 0;
        sum += exitReturn;
        sumSq += exitReturn * exitReturn;
        previous = cash;
        if (cash > peak) peak = cash;
        else if (cash < peak * (1 - maxDrawdown)) maxDrawdown = 1 - cash / peak;
        break; // flat at the close of bar t; its decision is taken by the flat phase
      }
      t++;
    }
  }

  acc.reset(1);
  acc.bars = n;
  acc.returnSum = sum;
  acc.returnSumSq = sumSq;
  acc.lastEquity = previous;
  acc.peak = peak;
  acc.maxDrawdown = maxDrawdown;
  acc.trades = trades;
  acc.closedTrades = closedTrades;
  acc.wins = wins;
  acc.longBars = longBars;
  return acc;
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

  constructor(
    readonly values: Float64Array,
    budgetBytes = DEFAULT_BANK_BYTES,
  ) {
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
    const array = sma(this.values, period);
    this.arrays.set(period, array);
    return array;
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
  const acc = runSmaCrossover(series.open, series.close, fastSma, slowSma, slow, costs, new EquityAccumulator());
  return acc.metrics(periodsPerYear);
}
