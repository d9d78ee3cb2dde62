import type { PerformanceMetrics } from '../../quant/metrics.js';

/** One evaluated unit: a symbol and a parameter combination with its metrics (plain JSON). */
export interface BacktestRow extends PerformanceMetrics {
  symbol: string;
  fast: number;
  slow: number;
}

/**
 * The ranking order, a total order over units: Sharpe descending (null last), then symbol
 * (by UTF-16 code units, locale-independent), then fast, then slow ascending.
 */
export function compareRows(a: BacktestRow, b: BacktestRow): number {
  if (a.sharpe !== b.sharpe) {
    if (a.sharpe === null) return 1;
    if (b.sharpe === null) return -1;
    return a.sharpe > b.sharpe ? -1 : 1;
  }
  if (a.symbol !== b.symbol) return a.symbol < b.symbol ? -1 : 1;
  if (a.fast !== b.fast) return a.fast - b.fast;
  return a.slow - b.slow;
}

/**
 * The best `limit` rows seen so far. Rows are buffered and pruned by sorting when the buffer
 * doubles (amortised O(log limit) per row); once full, a row that ranks below the current
 * last kept row is dropped at once, without allocation by the caller when it checks
 * `wouldKeep` first.
 */
export class TopRows {
  private rows: BacktestRow[] = [];
  private worst: BacktestRow | null = null;

  constructor(readonly limit: number) {}

  /** False when a row with this Sharpe/symbol/fast/slow certainly misses the top. */
  wouldKeep(sharpe: number | null, symbol: string, fast: number, slow: number): boolean {
    const worst = this.worst;
    if (worst === null) return true;
    if (sharpe !== worst.sharpe) {
      if (sharpe === null) return false;
      if (worst.sharpe === null) return true;
      return sharpe > worst.sharpe;
    }
    if (symbol !== worst.symbol) return symbol < worst.symbol;
    if (fast !== worst.fast) return fast < worst.fast;
    return slow < worst.slow;
  }

  add(row: BacktestRow): void {
    this.rows.push(row);
    if (this.rows.length >= 2 * this.limit + 16) this.prune();
  }

  /** The kept rows, best first. */
  result(): BacktestRow[] {
    this.prune();
    return this.rows.slice();
  }

  private prune(): void {
    this.rows.sort(compareRows);
    if (this.rows.length > this.limit) this.rows.length = this.limit;
    if (this.rows.length === this.limit) this.worst = this.rows[this.limit - 1];
  }
}
