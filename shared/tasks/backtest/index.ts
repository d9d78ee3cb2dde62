import type { TaskKind } from '../task-kind.js';
import { mergeBacktest, type BacktestResult } from './merge.js';
import { measureBacktest, planBacktest, type BacktestPartition } from './plan.js';
import { runBacktestPartition, type BacktestPartial } from './run.js';
import { validateBacktestSpec, type BacktestSpec } from './spec.js';

export type { BacktestSpec } from './spec.js';
export type { BacktestPartition } from './plan.js';
export type { BacktestPartial } from './run.js';
export type { BacktestResult, BacktestTopRow, BacktestFullRow, BacktestAggregate, BacktestAggregateRow, BacktestHeatmap } from './merge.js';
export type { BacktestTableRow } from './run.js';
export type { Constraint, Objective, MetricName } from './objective.js';
export type { BacktestRow } from './ranking.js';
export type { EquityCurve, SampledCurve } from './equity-curve.js';
export type { WalkForwardResult, WalkForwardSymbolResult, WalkForwardWindowResult } from './walk-forward-merge.js';

/** A parameter sweep of one strategy (shared/quant/strategies) over symbols, ranked by an objective (Sharpe by default). */
export const backtestKind: TaskKind<BacktestSpec, BacktestPartition, BacktestPartial, BacktestResult> = {
  name: 'backtest',
  version: '4',
  capabilities: ['backtest'],
  cacheable: true,
  validate: validateBacktestSpec,
  measure: measureBacktest,
  plan: planBacktest,
  run: runBacktestPartition,
  merge: mergeBacktest,
};
