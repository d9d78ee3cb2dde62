import { ValidationError } from '../../errors.js';
import { asRecord, numberField, stringField, validateDataset, validateSymbols, type DatasetSpec } from '../../quant/dataset.js';
import { isTimeframe, TIMEFRAMES, type Timeframe } from '../../quant/timeframes.js';
import type { SpecLimits } from '../task-kind.js';
import { combinationTable, rangeLast, type IntRange } from './combinations.js';

export const STRATEGIES = ['sma-crossover'] as const;
export type StrategyName = (typeof STRATEGIES)[number];
export const DEFAULT_STRATEGY: StrategyName = 'sma-crossover';
export const DEFAULT_TIMEFRAME: Timeframe = '1h';
export const DEFAULT_TOP_N = 20;
export const MAX_TOP_N = 1000;
/** Fees and slippage of 100% or more would make prices or cash non-positive. */
export const MAX_COST_BPS = 10_000;
const STRATEGY_PARAMS: Readonly<Record<StrategyName, readonly string[]>> = { 'sma-crossover': ['fast', 'slow'] };

/** A validated, normalised backtest spec (plain JSON). */
export interface BacktestSpec {
  symbols: string[];
  timeframe: Timeframe;
  dataset: DatasetSpec;
  strategy: StrategyName;
  params: { fast: IntRange; slow: IntRange };
  feeBps: number;
  slippageBps: number;
  topN: number;
  /** Combinations with fast < slow, per symbol. Units = symbols × combinations. */
  combinations: number;
}

function validateRange(raw: unknown, field: string): IntRange {
  const record = asRecord(raw, field);
  const start = numberField(record, 'start', field);
  const stop = numberField(record, 'stop', field);
  const step = numberField(record, 'step', field);
  for (const [name, value] of [['start', start], ['stop', stop], ['step', step]] as const) {
    if (!Number.isFinite(value)) throw new ValidationError(field, `${name} must be a finite number, got ${value}`);
  }
  if (!Number.isInteger(start) || start < 1) throw new ValidationError(field, `start must be an integer ≥ 1, got ${start}`);
  if (!Number.isInteger(stop) || stop < 1) throw new ValidationError(field, `stop must be an integer ≥ 1, got ${stop}`);
  if (stop < start) throw new ValidationError(field, `stop (${stop}) must not be below start (${start})`);
  if (start === stop) {
    if (step < 0) throw new ValidationError(field, `step must not be negative, got ${step}`);
    return { start, stop, step: 1 };
  }
  if (!Number.isInteger(step) || step < 1) throw new ValidationError(field, `step must be an integer ≥ 1 when start ≠ stop, got ${step}`);
  return { start, stop, step };
}

function validateCost(record: Record<string, unknown>, key: string, field: string): number {
  const value = numberField(record, key, field);
  if (!Number.isFinite(value) || value < 0 || value >= MAX_COST_BPS) {
    throw new ValidationError(field, `must be a finite number from 0 to below ${MAX_COST_BPS}, got ${value}`);
  }
  return value;
}

export function validateBacktestSpec(raw: unknown, limits: SpecLimits): BacktestSpec {
  const input = asRecord(raw, 'backtest');
  const symbols = validateSymbols(input.symbols, 'backtest.symbols', limits.maxUnits);

  const timeframe = stringField(input, 'timeframe', 'backtest.timeframe') || DEFAULT_TIMEFRAME;
  if (!isTimeframe(timeframe)) throw new ValidationError('backtest.timeframe', `unsupported "${timeframe}" (one of ${TIMEFRAMES.join(' ')})`);

  const dataset = validateDataset(input.dataset, 'backtest.dataset', limits);

  const strategy = stringField(input, 'strategy', 'backtest.strategy') || DEFAULT_STRATEGY;
  if (!(STRATEGIES as readonly string[]).includes(strategy)) {
    throw new ValidationError('backtest.strategy', `unknown strategy "${strategy}" (known: ${STRATEGIES.join(', ')})`);
  }
  const known = STRATEGY_PARAMS[strategy as StrategyName];

  const rawParams = asRecord(input.params, 'backtest.params');
  for (const name of Object.keys(rawParams)) {
    if (!known.includes(name)) throw new ValidationError(`backtest.params.${name}`, `unknown parameter (${strategy} takes ${known.join(', ')})`);
  }
  for (const name of known) {
    if (rawParams[name] === undefined || rawParams[name] === null) throw new ValidationError(`backtest.params.${name}`, 'is required');
  }
  const fast = validateRange(rawParams.fast, 'backtest.params.fast');
  const slow = validateRange(rawParams.slow, 'backtest.params.slow');
  if (rangeLast(slow) > dataset.bars) {
    throw new ValidationError('backtest.params.slow', `period ${rangeLast(slow)} is longer than the series (${dataset.bars} bars)`);
  }

  const feeBps = validateCost(input, 'feeBps', 'backtest.fee_bps');
  const slippageBps = validateCost(input, 'slippageBps', 'backtest.slippage_bps');

  let topN = numberField(input, 'topN', 'backtest.top_n');
  if (topN === 0) topN = DEFAULT_TOP_N;
  if (!Number.isInteger(topN) || topN < 1 || topN > MAX_TOP_N) throw new ValidationError('backtest.top_n', `must be an integer from 1 to ${MAX_TOP_N}`);

  // Both ranges are bounded now: the slow values by the bar count, and only fast values below
  // the largest slow one are visited, so counting is cheap even for absurd fast ranges.
  const combinations = combinationTable(fast, slow).total;
  if (combinations === 0) {
    throw new ValidationError('backtest.params.fast', 'must be below slow for at least one combination');
  }
  const units = symbols.length * combinations;
  if (units > limits.maxUnits) {
    throw new ValidationError(
      'backtest.params',
      `${units} units (${symbols.length} symbols × ${combinations} combinations) exceed the limit of ${limits.maxUnits}`,
    );
  }
  return { symbols, timeframe, dataset, strategy: strategy as StrategyName, params: { fast, slow }, feeBps, slippageBps, topN, combinations };
}

