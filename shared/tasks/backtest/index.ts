import { resolveStoredDataset, storedDatasetIds } from '../stored-datasets.js';
import { resolveUserStrategy, userStrategyRefs } from '../stored-strategies.js';
import type { TaskKind } from '../task-kind.js';
import { backtestContinuation, runBacktestInCluster } from './continuation.js';
import { mergeBacktest, type BacktestResult } from './merge.js';
import { measureBacktest, planBacktest, type BacktestPartition } from './plan.js';
import type { BacktestPartial } from './run.js';
import { resolveYearDays } from './year-days.js';
import { BACKTEST_DEFAULTS, BACKTEST_LIMITS, backtestSpecToWire, validateBacktestSpec, type BacktestSpec } from './spec.js';

export type { BacktestSpec } from './spec.js';
export { BACKTEST_DEFAULTS, BACKTEST_LIMITS };
export { EXIT_PARAMS } from './exit-params.js';
export type { BacktestPartition } from './plan.js';
export type { BacktestPartial } from './run.js';
export type { BacktestResult, BacktestTopRow, BacktestFullRow, BacktestAggregate, BacktestAggregateRow, BacktestHeatmap } from './merge.js';
export type { BacktestTableRow } from './run.js';
export type { Constraint, Objective, MetricName } from './objective.js';
export type { BacktestRow } from './ranking.js';
export type { EquityCurve, SampledCurve } from './equity-curve.js';
export type { WalkForwardResult, WalkForwardSymbolResult, WalkForwardWindowResult } from './walk-forward-merge.js';

/** A parameter sweep of one strategy (shared/quant/strategies) over symbols, ranked by an objective (Sharpe by default). */
export const backtestKind: TaskKind<BacktestSpec, BacktestPartition, BacktestPartial, BacktestResult, 'backtest'> = {
  name: 'backtest',
  description: "sweep a strategy's parameters over symbols and rank the combinations by an objective (Sharpe ratio by default)",
  specMember: 'backtest',
  specField: 'backtest',
  defaults: BACKTEST_DEFAULTS,
  limits: BACKTEST_LIMITS,
  version: '5',
  capabilities: ['backtest'],
  cacheable: true,
  continuation: backtestContinuation,
  sampleSpecs: [
    { symbols: ['BTCUSDT'] },
    { symbols: ['A', 'B'], feeBps: 0, strategy: 'rsi-reversion', params: { risk_free: { start: 0.02, stop: 0.02, step: 0 } }, search: { method: 'random', samples: 5, seed: 0 } },
    { symbols: ['A'], dataset: { bars: 3000, seed: 0 }, walkForward: { inSampleBars: 1000, outOfSampleBars: 500, anchored: true }, constraints: [{ metric: 'trades', op: '>=', value: 1 }] },
  ],
  validate: validateBacktestSpec,
  // A backtest has one timeframe: it gets the stored dataset's bar count at that timeframe, and
  // year_days auto (left out) becomes the number the dataset's bars give.
  resolveDatasets: async (raw, index) => {
    await resolveStoredDataset(raw, { field: 'backtest', symbols: 'symbols', timeframes: 'timeframe', single: true }, index);
    await resolveYearDays(raw, index);
  },
  datasets: (spec) => storedDatasetIds(spec.dataset),
  resolveStrategies: (raw, index) => resolveUserStrategy(raw, 'strategy', 'backtest.strategy', index),
  strategies: (spec) => userStrategyRefs(spec.strategy),
  toWire: backtestSpecToWire,
  measure: measureBacktest,
  plan: planBacktest,
  run: runBacktestInCluster,
  merge: mergeBacktest,
};
