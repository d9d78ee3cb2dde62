import { loadSeries } from '../../quant/dataset.js';
import { EquityAccumulator, riskFreePerPeriod } from '../../quant/metrics.js';
import type { Ohlcv } from '../../quant/ohlcv.js';
import { IndicatorCache, SignalBuffer, simulate, STRATEGIES, type StrategyDefinition, type StrategyInputs } from '../../quant/strategies/index.js';
import { periodsPerYear } from '../../quant/timeframes.js';
import type { RunContext } from '../task-kind.js';
import type { BacktestPartition } from './plan.js';
import { meetsConstraints, objectiveKey } from './objective.js';
import { TopRows, type BacktestRow } from './ranking.js';
import { aggregateSkipReason, gridOf, type BacktestSpec } from './spec.js';

/** A row of the full table: every evaluated unit, with whether it met the constraints. */
export interface BacktestTableRow extends BacktestRow {
  meetsConstraints: boolean;
}

/**
 * A partition's answer (plain JSON). Rankings only ever hold rows that met every constraint.
 *   rows       its best rows over all symbols (ranked, at most topN)
 *   perSymbol  (jobs of 2+ symbols) each touched symbol's best rows (ranked, at most topN)
 *   scores     (when the job has an aggregate) every unit's objective value in unit order from
 *              `first`: a number, null when undefined, false when the row missed a constraint
 *   table      (full_table) every row in unit order from `first`
 */
export interface BacktestPartial {
  first: number;
  evaluated: number;
  /** Rows that missed a constraint. */
  excluded: number;
  rows: BacktestRow[];
  perSymbol?: Record<string, BacktestRow[]>;
  scores?: Array<number | null | false>;
  table?: BacktestTableRow[];
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
  const key = objectiveKey(spec.objective);
  const constraints = spec.constraints;
  const top = new TopRows(spec.topN, names, key);
  const bySymbol = spec.symbols.length > 1 ? new Map<string, TopRows>() : null;
  const scores: Array<number | null | false> | null = aggregateSkipReason(spec) === null ? [] : null;
  const table: BacktestTableRow[] | null = spec.fullTable ? [] : null;
  const acc = new EquityAccumulator();
  const values = new Float64Array(names.length);
  const end = partition.first + partition.count;

  const paramsOf = (): Record<string, number> => {
    const params: Record<string, number> = {};
    for (let i = 0; i < names.length; i++) params[names[i]] = values[i];
    return params;
  };
  const answer = (): BacktestPartial => {
    const partial: BacktestPartial = { first: partition.first, evaluated, excluded, rows: top.result() };
    if (bySymbol) partial.perSymbol = Object.fromEntries([...bySymbol].map(([symbol, rows]) => [symbol, rows.result()]));
    if (scores) partial.scores = scores;
    if (table) partial.table = table;
    return partial;
  };

  let evaluated = 0;
  let excluded = 0;
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
    const meets = meetsConstraints(metrics, constraints);
    const score = metrics[key];
    if (table) table.push({ symbol, params: paramsOf(), ...metrics, meetsConstraints: meets });
    if (scores) scores.push(meets ? score : false);
    if (!meets) {
      excluded++;
    } else {
      let row: BacktestRow | null = null;
      if (top.wouldKeep(score, symbol, values)) top.add((row = { symbol, params: paramsOf(), ...metrics }));
      if (bySymbol) {
        let own = bySymbol.get(symbol);
        if (!own) bySymbol.set(symbol, (own = new TopRows(spec.topN, names, key)));
        if (own.wouldKeep(score, symbol, values)) own.add(row ?? { symbol, params: paramsOf(), ...metrics });
      }
    }
    evaluated++;
    if (evaluated % PROGRESS_EVERY === 0) {
      context.reportProgress(evaluated / partition.count);
      // A cancelled partition's answer is discarded; stop early (as the noop kind does).
      if (context.isCancelled()) return answer();
    }
  }
  context.reportProgress(1);
  return answer();
}
