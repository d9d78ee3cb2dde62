import type { BacktestPartial } from './run.js';
import { compareRows } from './ranking.js';
import type { BacktestSpec } from './spec.js';

export interface BacktestTopRow {
  rank: number;
  symbol: string;
  params: { fast: number; slow: number };
  sharpe: number | null;
  totalReturn: number | null;
  cagr: number | null;
  volatility: number | null;
  maxDrawdown: number | null;
  trades: number;
  winRate: number | null;
  exposure: number | null;
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
  let evaluated = 0;
  const rows = [];
  for (const partial of partials) {
    evaluated += partial.evaluated;
    for (const row of partial.rows) rows.push(row);
  }
  rows.sort(compareRows);
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
      params: { fast: row.fast, slow: row.slow },
      sharpe: row.sharpe,
      totalReturn: row.totalReturn,
      cagr: row.cagr,
      volatility: row.volatility,
      maxDrawdown: row.maxDrawdown,
      trades: row.trades,
      winRate: row.winRate,
      exposure: row.exposure,
    })),
  };
}
