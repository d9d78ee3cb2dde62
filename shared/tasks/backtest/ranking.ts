import type { ExtendedMetrics } from '../../quant/metrics.js';
import type { MetricKey } from './objective.js';

/** One evaluated unit: a symbol and a parameter combination with its metrics (plain JSON). */
export interface BacktestRow extends ExtendedMetrics {
  symbol: string;
  /** The swept parameters in sweep order (the strategy's own, then `short`). */
  params: Record<string, number>;
}

/** Higher first, null last: negative when `a` ranks before `b`, 0 when equal. */
export function compareScores(a: number | null, b: number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a > b ? -1 : 1;
}

/** Parameter values ascending in sweep order (`names`). */
export function compareParams(a: Record<string, number>, b: Record<string, number>, names: readonly string[]): number {
  for (const name of names) {
    const x = a[name];
    const y = b[name];
    if (x !== y) return x - y;
  }
  return 0;
}

/**
 * The ranking order, a total order over units: the objective (`key`, default Sharpe) descending
 * (null last), then symbol (by UTF-16 code units, locale-independent), then the parameter values
 * ascending in sweep order (`names`).
 */
export function compareRows(a: BacktestRow, b: BacktestRow, names: readonly string[], key: MetricKey = 'sharpe'): number {
  const byScore = compareScores(a[key], b[key]);
  if (byScore !== 0) return byScore;
  if (a.symbol !== b.symbol) return a.symbol < b.symbol ? -1 : 1;
  return compareParams(a.params, b.params, names);
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
    readonly key: MetricKey = 'sharpe',
  ) {
    this.compare = (a, b) => compareRows(a, b, names, key);
  }

  /** False when a row with this objective value, symbol and parameter values (sweep order) certainly misses the top. */
  wouldKeep(score: number | null, symbol: string, values: ArrayLike<number>): boolean {
    const worst = this.worst;
    if (worst === null) return true;
    const worstScore = worst[this.key];
    if (score !== worstScore) {
      if (score === null) return false;
      if (worstScore === null) return true;
      return score > worstScore;
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
