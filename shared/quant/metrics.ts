/**
 * Performance metrics of a strategy from its close-marked equity curve E[0..N-1], computed
 * from a streaming accumulator (no stored curve).
 *
 * Definitions (r[t] = E[t]/E[t-1] − 1 for t = 1..N-1, i.e. N−1 per-bar returns; P = bars per year):
 *   totalReturn = E[N-1]/E0 − 1 (E0 = start equity)
 *   cagr        = (E[N-1]/E0)^(P/(N−1)) − 1          (the curve spans N−1 bars)
 *   volatility  = std(r, sample)·√P
 *   sharpe      = mean(r)/std(r, sample)·√P          (risk-free rate 0)
 *   maxDrawdown = max over t of 1 − E[t]/max(E0, E[0..t])   (a fraction, ≥ 0)
 *   trades      = number of entries
 *   winRate     = winning closed trades / closed trades (a trade wins when the cash after
 *                 the exit exceeds the cash before the entry)
 *   exposure    = bars whose close mark holds a position (long or short) / N
 * A value that is undefined (zero variance, no closed trade, overflow, …) is null.
 *
 * With a per-period risk-free rate τ (accumulator reset with riskFreePerPeriod; 0 by default),
 * excess returns x[t] = r[t] − τ:
 *   sharpe      = mean(x)/std(x, sample)·√P           (std(x) = std(r))
 * and the extended metrics (ExtendedMetrics, from extendedMetrics()):
 *   sortino     = mean(x)/dd·√P, dd = √(Σ min(x[t], 0)² / (N−2))   (downside deviation vs 0, sample:
 *                 the sum runs over all N−1 returns, divided by N−2)
 *   maxDrawdownDuration = the longest run of bars spent under water: max over t of t − s(t),
 *                 s(t) the last bar ≤ t whose mark is at the running peak (bar 0 is at the peak)
 *   calmar      = cagr / maxDrawdown
 *   profitFactor = Σ profits / Σ |losses| over closed trades, a trade's profit being the cash
 *                 after the exit minus the cash before the entry (null with no losing trade)
 *   avgTradeReturn = mean over closed trades of (cash after exit / cash before entry − 1)
 * riskFreePerPeriod(annual, P) = (1 + annual)^(1/P) − 1 converts an annual rate.
 */
export interface PerformanceMetrics {
  totalReturn: number | null;
  cagr: number | null;
  volatility: number | null;
  sharpe: number | null;
  maxDrawdown: number | null;
  trades: number;
  winRate: number | null;
  exposure: number | null;
}

/** PerformanceMetrics plus the risk and trade metrics defined above. */
export interface ExtendedMetrics extends PerformanceMetrics {
  sortino: number | null;
  calmar: number | null;
  maxDrawdownDuration: number | null;
  profitFactor: number | null;
  avgTradeReturn: number | null;
}

/** The per-period rate equivalent to an annual rate compounded P times a year. */
export function riskFreePerPeriod(annualRate: number, periodsPerYear: number): number {
  return annualRate === 0 ? 0 : Math.pow(1 + annualRate, 1 / periodsPerYear) - 1;
}

/**
 * Streaming state over an equity curve. Fields are public so a hot kernel can keep its state
 * in locals and store the totals once at the end; mark() is the simple per-bar way to feed it.
 */
export class EquityAccumulator {
  startEquity = 1;
  /** Marks seen (N). */
  bars = 0;
  /** Σ r and Σ r² over the N−1 per-bar returns. */
  returnSum = 0;
  returnSumSq = 0;
  lastEquity = 1;
  peak = 1;
  maxDrawdown = 0;
  trades = 0;
  closedTrades = 0;
  wins = 0;
  /** Bars whose close mark holds a position (long or short). */
  longBars = 0;
  /** τ: subtracted from every per-bar return for Sharpe and Sortino. */
  riskFreePerPeriod = 0;
  /** Σ min(r − τ, 0)² over the N−1 per-bar returns. */
  downsideSumSq = 0;
  /** Index of the last bar marked at the running peak, and the longest under-water run (bars). */
  peakBar = 0;
  maxDrawdownBars = 0;
  /** Over closed trades: Σ profits, Σ |losses|, Σ (cash after / cash before − 1). */
  grossProfit = 0;
  grossLoss = 0;
  tradeReturnSum = 0;

  reset(startEquity = 1, riskFreePerPeriod = 0): this {
    this.startEquity = startEquity;
    this.bars = 0;
    this.returnSum = 0;
    this.returnSumSq = 0;
    this.lastEquity = startEquity;
    this.peak = startEquity;
    this.maxDrawdown = 0;
    this.trades = 0;
    this.closedTrades = 0;
    this.wins = 0;
    this.longBars = 0;
    this.riskFreePerPeriod = riskFreePerPeriod;
    this.downsideSumSq = 0;
    this.peakBar = 0;
    this.maxDrawdownBars = 0;
    this.grossProfit = 0;
    this.grossLoss = 0;
    this.tradeReturnSum = 0;
    return this;
  }

  /** Adds the close mark of the next bar. */
  mark(equity: number, long: boolean): void {
    const bar = this.bars;
    if (bar > 0) {
      const r = periodReturn(equity, this.lastEquity);
      this.returnSum += r;
      this.returnSumSq += r * r;
      const excess = r - this.riskFreePerPeriod;
      if (excess < 0) this.downsideSumSq += excess * excess;
    }
    this.bars++;
    if (long) this.longBars++;
    this.lastEquity = equity;
    if (equity >= this.peak) {
      this.peak = equity;
      this.peakBar = bar;
    } else {
      const drawdown = 1 - equity / this.peak;
      if (drawdown > this.maxDrawdown) this.maxDrawdown = drawdown;
      if (bar - this.peakBar > this.maxDrawdownBars) this.maxDrawdownBars = bar - this.peakBar;
    }
  }

  recordEntry(): void {
    this.trades++;
  }

  recordExit(cashBeforeEntry: number, cashAfterExit: number): void {
    this.closedTrades++;
    const profit = cashAfterExit - cashBeforeEntry;
    if (profit > 0) {
      this.wins++;
      this.grossProfit += profit;
    } else if (profit < 0) this.grossLoss -= profit;
    this.tradeReturnSum += cashBeforeEntry > 0 ? cashAfterExit / cashBeforeEntry - 1 : 0;
  }

  metrics(periodsPerYear: number): PerformanceMetrics {
    return computeMetrics(this, periodsPerYear);
  }

  extendedMetrics(periodsPerYear: number): ExtendedMetrics {
    return computeExtendedMetrics(this, periodsPerYear);
  }
}

/** r = equity/previous − 1, or 0 when the previous mark was not positive (ruin stays ruin). */
export function periodReturn(equity: number, previous: number): number {
  return previous > 0 ? equity / previous - 1 : 0;
}

/** The value for JSON results: null when NaN or infinite, and never −0 (JSON would lose the sign). */
export function finiteOrNull(value: number): number | null {
  if (!Number.isFinite(value)) return null;
  return value === 0 ? 0 : value;
}

export function computeMetrics(acc: EquityAccumulator, periodsPerYear: number): PerformanceMetrics {
  const returns = acc.bars - 1;
  const growth = acc.lastEquity / acc.startEquity;
  let volatility = NaN;
  let sharpe = NaN;
  let cagr = NaN;
  if (returns >= 2) {
    const mean = acc.returnSum / returns;
    const variance = (acc.returnSumSq - acc.returnSum * mean) / (returns - 1);
    if (variance > 0) {
      const std = Math.sqrt(variance);
      const annualiser = Math.sqrt(periodsPerYear);
      volatility = std * annualiser;
      sharpe = ((mean - acc.riskFreePerPeriod) / std) * annualiser;
    } else {
      volatility = 0;
    }
  }
  if (returns >= 1 && growth > 0) cagr = Math.pow(growth, periodsPerYear / returns) - 1;
  return {
    totalReturn: finiteOrNull(growth - 1),
    cagr: finiteOrNull(cagr),
    volatility: finiteOrNull(volatility),
    sharpe: finiteOrNull(sharpe),
    maxDrawdown: finiteOrNull(acc.maxDrawdown),
    trades: acc.trades,
    winRate: acc.closedTrades > 0 ? acc.wins / acc.closedTrades : null,
    exposure: acc.bars > 0 ? acc.longBars / acc.bars : null,
  };
}

export function computeExtendedMetrics(acc: EquityAccumulator, periodsPerYear: number): ExtendedMetrics {
  const base = computeMetrics(acc, periodsPerYear);
  const returns = acc.bars - 1;
  let sortino = NaN;
  if (returns >= 2 && acc.downsideSumSq > 0) {
    const excessMean = acc.returnSum / returns - acc.riskFreePerPeriod;
    sortino = (excessMean / Math.sqrt(acc.downsideSumSq / (returns - 1))) * Math.sqrt(periodsPerYear);
  }
  const calmar = base.cagr !== null && acc.maxDrawdown > 0 ? base.cagr / acc.maxDrawdown : NaN;
  const closed = acc.closedTrades;
  // Written out rather than spread from `base`: the spread cost ~20 µs a call, more than a unit of
  // an incremental re-run costs otherwise (bench/incremental-rerun.ts).
  return {
    totalReturn: base.totalReturn,
    cagr: base.cagr,
    volatility: base.volatility,
    sharpe: base.sharpe,
    maxDrawdown: base.maxDrawdown,
    trades: base.trades,
    winRate: base.winRate,
    exposure: base.exposure,
    sortino: finiteOrNull(sortino),
    calmar: finiteOrNull(calmar),
    maxDrawdownDuration: acc.bars > 0 ? acc.maxDrawdownBars : null,
    profitFactor: closed > 0 && acc.grossLoss > 0 ? finiteOrNull(acc.grossProfit / acc.grossLoss) : null,
    avgTradeReturn: closed > 0 ? finiteOrNull(acc.tradeReturnSum / closed) : null,
  };
}
