import type { BacktestPartial } from './run.js';
import { compareRows, type BacktestRow } from './ranking.js';
import { gridOf, type BacktestSpec } from './spec.js';

/** A ranked row of the result; metrics are null when undefined (see shared/quant/metrics.ts). */
export interface BacktestTopRow {
  rank: number;
  symbol: string;
  /** The swept parameters in sweep order: the strategy's own, then `short`. */
  params: Record<string, number>;
  sharpe: number | null;
  totalReturn: number | null;
  cagr: number | null;
  volatility: number | null;
  maxDrawdown: number | null;
  trades: number;
  winRate: number | null;
  exposure: number | null;
  sortino: number | null;
  calmar: number | null;
  maxDrawdownDuration: number | null;
  profitFactor: number | null;
  avgTradeReturn: number | null;
}

export interface BacktestResult {
  kind: 'backtest';
  strategy: string;
  timeframe: string;
  bars: number;
  evaluated: number;
  top: BacktestTopRow[];
}

/**
 * Exact for any partitioning: the ranking is a total order over units and every partition
 * keeps its own top N, so the job's top N is the top N of the union of the partials' rows.
 */
export function mergeBacktest(spec: BacktestSpec, partials: readonly BacktestPartial[]): BacktestResult {
  const names = gridOf(spec).names;
  let evaluated = 0;
  const rows: BacktestRow[] = [];
  for (const partial of partials) {
    evaluated += partial.evaluated;
    for (const row of partial.rows) rows.push(row);
  }
  rows.sort((a, b) => compareRows(a, b, names));
  if (rows.length > spec.topN) rows.length = spec.topN;
  return {
    kind: 'backtest',
    strategy: spec.strategy,
    timeframe: spec.timeframe,
    bars: spec.dataset.bars,
    evaluated,
    top: rows.map((row, i) => ({
      rank: i + 1,
      symbol: row.symbol,
      params: Object.fromEntries(names.map((name) => [name, row.params[name]])),
      sharpe: row.sharpe,
      totalReturn: row.totalReturn,
      cagr: row.cagr,
      volatility: row.volatility,
      maxDrawdown: row.maxDrawdown,
      trades: row.trades,
      winRate: row.winRate,
      exposure: row.exposure,
      sortino: row.sortino,
      calmar: row.calmar,
      maxDrawdownDuration: row.maxDrawdownDuration,
      profitFactor: row.profitFactor,
      avgTradeReturn: row.avgTradeReturn,
    })),
  };
}
