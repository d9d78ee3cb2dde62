import { loadSeries } from '../../quant/dataset.js';
import { EquityAccumulator } from '../../quant/metrics.js';
import type { Ohlcv } from '../../quant/ohlcv.js';
import { runSmaCrossover, SmaBank } from '../../quant/strategies/sma-crossover.js';
import { periodsPerYear } from '../../quant/timeframes.js';
import type { RunContext } from '../task-kind.js';
import { CombinationCursor, combinationTable } from './combinations.js';
import type { BacktestPartition } from './plan.js';
import { TopRows, type BacktestRow } from './ranking.js';
import type { BacktestSpec } from './spec.js';

/** A partition's answer: its best rows (ranked, at most topN) and how many units it evaluated. */
export interface BacktestPartial {
  evaluated: number;
  rows: BacktestRow[];
}

// The SMA arrays of the last series stay with it: a worker usually runs several partitions
// of the same job, and the partitions share the series through the synthetic-data memo.
const BANK_BUDGET_BYTES = 128 * 1024 * 1024;
let lastSeries: Ohlcv | null = null;
let lastBank: SmaBank | null = null;

function bankFor(series: Ohlcv): SmaBank {
  if (lastSeries !== series || lastBank === null) {
    lastBank = new SmaBank(series.close, BANK_BUDGET_BYTES);
    lastSeries = series;
  }
  return lastBank;
}

const PROGRESS_EVERY = 8;

export function runBacktestPartition(spec: BacktestSpec, partition: BacktestPartition, context: RunContext): BacktestPartial {
  const table = combinationTable(spec.params.fast, spec.params.slow);
  const perSymbol = table.total;
  const annualPeriods = periodsPerYear(spec.timeframe);
  const costs = { feeBps: spec.feeBps, slippageBps: spec.slippageBps };
  const top = new TopRows(spec.topN);
  const acc = new EquityAccumulator();
  const end = partition.first + partition.count;

  let unit = partition.first;
  let evaluated = 0;
  while (unit < end) {
    const symbolIndex = Math.floor(unit / perSymbol);
    const symbol = spec.symbols[symbolIndex];
    const series = loadSeries(spec.dataset, symbol, spec.timeframe);
    const bank = bankFor(series);
    const cursor = new CombinationCursor(table, unit - symbolIndex * perSymbol);
    const symbolEnd = Math.min(end, (symbolIndex + 1) * perSymbol);
    for (; unit < symbolEnd; unit++, cursor.next()) {
      const { fast, slow } = cursor;
      runSmaCrossover(series.open, series.close, bank.get(fast), bank.get(slow), slow, costs, acc);
      const metrics = acc.metrics(annualPeriods);
      if (top.wouldKeep(metrics.sharpe, symbol, fast, slow)) {
        top.add({
          symbol,
          fast,
          slow,
          sharpe: metrics.sharpe,
          totalReturn: metrics.totalReturn,
          cagr: metrics.cagr,
          volatility: metrics.volatility,
          maxDrawdown: metrics.maxDrawdown,
          trades: metrics.trades,
          winRate: metrics.winRate,
          exposure: metrics.exposure,
        });
      }
      evaluated++;
      if (evaluated % PROGRESS_EVERY === 0) {
        context.reportProgress(evaluated / partition.count);
        // A cancelled partition's answer is discarded; stop early (as the noop kind does).
        if (context.isCancelled()) return { evaluated, rows: top.result() };
      }
    }
  }
  context.reportProgress(1);
  return { evaluated, rows: top.result() };
}
