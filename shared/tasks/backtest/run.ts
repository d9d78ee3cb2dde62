import { loadSeries } from '../../quant/dataset.js';
import { EquityAccumulator, riskFreePerPeriod } from '../../quant/metrics.js';
import type { Ohlcv } from '../../quant/ohlcv.js';
import { IndicatorCache, SignalBuffer, simulate, STRATEGIES, type StrategyDefinition, type StrategyInputs } from '../../quant/strategies/index.js';
import { periodsPerYear } from '../../quant/timeframes.js';
import type { RunContext } from '../task-kind.js';
import type { BacktestPartition } from './plan.js';
import { TopRows, type BacktestRow } from './ranking.js';
import { gridOf, type BacktestSpec } from './spec.js';

/** A partition's answer: its best rows (ranked, at most topN) and how many units it evaluated. */
export interface BacktestPartial {
  evaluated: number;
  rows: BacktestRow[];
}

// The indicator arrays of the last series stay with it: a worker usually runs several
// partitions of the same job, and the partitions share the series through the synthetic-data memo.
const CACHE_BUDGET_BYTES = 128 * 1024 * 1024;
let lastSeries: Ohlcv | null = null;
let lastInputs: StrategyInputs | null = null;

function inputsFor(series: Ohlcv): StrategyInputs {
  if (lastSeries !== series || lastInputs === null) {
    lastInputs = { open: series.open, high: series.high, low: series.low, close: series.close, indicators: new IndicatorCache(series, CACHE_BUDGET_BYTES) };
    lastSeries = series;
  }
  return lastInputs;
}

const PROGRESS_EVERY = 8;
let signals = new SignalBuffer(1);

export function runBacktestPartition(spec: BacktestSpec, partition: BacktestPartition, context: RunContext): BacktestPartial {
  const definition = STRATEGIES.get(spec.strategy) as StrategyDefinition;
  const grid = gridOf(spec);
  const names = grid.names;
  const shortIndex = names.length - 1; // `short` is the last swept parameter
  const perSymbol = grid.total;
  const annualPeriods = periodsPerYear(spec.timeframe, spec.yearDays);
  const tau = riskFreePerPeriod(spec.riskFree, annualPeriods);
  const costs = { feeBps: spec.feeBps, slippageBps: spec.slippageBps };
  const top = new TopRows(spec.topN, names);
  const acc = new EquityAccumulator();
  const values = new Float64Array(names.length);
  const end = partition.first + partition.count;

  let evaluated = 0;
  for (let unit = partition.first; unit < end; unit++) {
    const symbolIndex = Math.floor(unit / perSymbol);
    const symbol = spec.symbols[symbolIndex];
    const series = loadSeries(spec.dataset, symbol, spec.timeframe);
    const inputs = inputsFor(series);
    grid.decode(unit - symbolIndex * perSymbol, values);
    signals = signals.reset(series.close.length);
    definition.signals(inputs, values, values[shortIndex] === 1, signals);
    simulate(series.open, series.close, signals, costs, acc, tau);
    const metrics = acc.extendedMetrics(annualPeriods);
    if (top.wouldKeep(metrics.sharpe, symbol, values)) {
      const params: Record<string, number> = {};
      for (let i = 0; i < names.length; i++) params[names[i]] = values[i];
      top.add({ symbol, params, ...metrics });
    }
    evaluated++;
    if (evaluated % PROGRESS_EVERY === 0) {
      context.reportProgress(evaluated / partition.count);
      // A cancelled partition's answer is discarded; stop early (as the noop kind does).
      if (context.isCancelled()) return { evaluated, rows: top.result() };
    }
  }
  context.reportProgress(1);
  return { evaluated, rows: top.result() };
}
