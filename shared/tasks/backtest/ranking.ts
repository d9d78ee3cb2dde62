import type { ExtendedMetrics } from '../../quant/metrics.js';

/** One evaluated unit: a symbol and a parameter combination with its metrics (plain JSON). */
export interface BacktestRow extends ExtendedMetrics {
  symbol: string;
  /** The swept parameters in sweep order (the strategy's own, then `short`). */
  params: Record<string, number>;
}

/**
 * The ranking order, a total order over units: Sharpe descending (null last), then symbol
 * (by UTF-16 code units, locale-independent), then the parameter values ascending in sweep
 * order (`names`).
 */
export function compareRows(a: BacktestRow, b: BacktestRow, names: readonly string[]): number {
  if (a.sharpe !== b.sharpe) {
    if (a.sharpe === null) return 1;
    if (b.sharpe === null) return -1;
    return a.sharpe > b.sharpe ? -1 : 1;
  }
  if (a.symbol !== b.symbol) return a.symbol < b.symbol ? -1 : 1;
  for (const name of names) {
    const x = a.params[name];
    const y = b.params[name];
    if (x !== y) return x - y;
  }
  return 0;
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
  private readonly compare: (a: BacktestRow, b: BacktestRow) => number;

  constructor(
    readonly limit: number,
    readonly names: readonly string[],
  ) {
    this.compare = (a, b) => compareRows(a, b, names);
  }

  /** False when a row with this Sharpe, symbol and parameter values (sweep order) certainly misses the top. */
  wouldKeep(sharpe: number | null, symbol: string, values: ArrayLike<number>): boolean {
    const worst = this.worst;
    if (worst === null) return true;
    if (sharpe !== worst.sharpe) {
      if (sharpe === null) return false;
      if (worst.sharpe === null) return true;
      return sharpe > worst.sharpe;
    }
    if (symbol !== worst.symbol) return symbol < worst.symbol;
    const names = this.names;
    for (let i = 0; i < names.length; i++) {
      const w = worst.params[names[i]];
      if (values[i] !== w) return values[i] < w;
    }
    return false;
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
    this.rows.sort(this.compare);
    if (this.rows.length > this.limit) this.rows.length = this.limit;
    if (this.rows.length === this.limit) this.worst = this.rows[this.limit - 1];
  }
}
