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
 *   exposure    = bars whose close mark is long / N
 * A value that is undefined (zero variance, no closed trade, overflow, …) is null.
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
  longBars = 0;

  reset(startEquity = 1): this {
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
    return this;
  }

  /** Adds the close mark of the next bar. */
  mark(equity: number, long: boolean): void {
    if (this.bars > 0) {
      const r = periodReturn(equity, this.lastEquity);
      this.returnSum += r;
      this.returnSumSq += r * r;
    }
    this.bars++;
    if (long) this.longBars++;
    this.lastEquity = equity;
    if (equity > this.peak) this.peak = equity;
    else {
      const drawdown = 1 - equity / this.peak;
      if (drawdown > this.maxDrawdown) this.maxDrawdown = drawdown;
    }
  }

  recordEntry(): void {
    this.trades++;
  }

  recordExit(cashBeforeEntry: number, cashAfterExit: number): void {
    this.closedTrades++;
    if (cashAfterExit > cashBeforeEntry) this.wins++;
  }

  metrics(periodsPerYear: number): PerformanceMetrics {
    return computeMetrics(this, periodsPerYear);
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
      sharpe = (mean / std) * annualiser;
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
