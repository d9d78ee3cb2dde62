import { ValidationError } from '../../errors.js';
import { asRecord, numberField, stringField, validateDataset, validateSymbols, type DatasetSpec } from '../../quant/dataset.js';
import {
  DEFAULT_STRATEGY,
  SETTING_PARAMS,
  STRATEGIES,
  STRATEGY_NAMES,
  sweptParams,
  type ParamSchema,
  type StrategyDefinition,
} from '../../quant/strategies/index.js';
import { isTimeframe, TIMEFRAMES, type DaysPerYear, type Timeframe } from '../../quant/timeframes.js';
import type { SpecLimits } from '../task-kind.js';
import { ParamGrid, valueCount, type ParamRange } from './grid.js';
import { validateConstraints, validateObjective, type Constraint, type Objective } from './objective.js';

export { DEFAULT_STRATEGY } from '../../quant/strategies/index.js';
export const DEFAULT_TIMEFRAME: Timeframe = '1h';
export const DEFAULT_TOP_N = 20;
export const MAX_TOP_N = 1000;
/** Fees and slippage of 100% or more would make prices or cash non-positive. */
export const MAX_COST_BPS = 10_000;
/** Most units a job with full_table may have (every row travels back and is stored with the job). */
export const FULL_TABLE_MAX_UNITS = 200_000;
/**
 * The aggregate over symbols needs every unit's objective value at merge: it is computed only for
 * jobs with at most this many combinations and AGGREGATE_MAX_UNITS units (else skipped, and the result says so).
 */
export const AGGREGATE_MAX_COMBINATIONS = 20_000;
export const AGGREGATE_MAX_UNITS = 200_000;

/** A validated, normalised backtest spec (plain JSON). */
export interface BacktestSpec {
  symbols: string[];
  timeframe: Timeframe;
  dataset: DatasetSpec;
  strategy: string;
  /** Every swept parameter of the strategy (its own, then `short`), in sweep order; defaults filled. */
  params: Record<string, ParamRange>;
  /** From the `year_days` param: days per year used to annualise (365 or 252). */
  yearDays: DaysPerYear;
  /** From the `risk_free` param: annual risk-free rate (0 to 1). */
  riskFree: number;
  feeBps: number;
  slippageBps: number;
  topN: number;
  /** Combinations satisfying the strategy's constraint, per symbol. Units = symbols × combinations. */
  combinations: number;
  /** What the rankings sort by (higher is better). */
  objective: Objective;
  /** Rows that miss any of these are left out of the rankings. */
  constraints: Constraint[];
  /** Return every row, in unit order. */
  fullTable: boolean;
}

/** Why the aggregate over symbols is not computed for this spec, or null when it is. */
export function aggregateSkipReason(spec: Pick<BacktestSpec, 'symbols' | 'combinations'>): string | null {
  if (spec.symbols.length < 2) return 'one symbol';
  if (spec.combinations > AGGREGATE_MAX_COMBINATIONS) return `${spec.combinations} combinations exceed the aggregate's cap of ${AGGREGATE_MAX_COMBINATIONS}`;
  const units = spec.symbols.length * spec.combinations;
  if (units > AGGREGATE_MAX_UNITS) return `${units} units exceed the aggregate's cap of ${AGGREGATE_MAX_UNITS}`;
  return null;
}

function validateRange(raw: unknown, schema: ParamSchema, field: string, bars: number): ParamRange {
  if (raw === undefined || raw === null) return { ...schema.defaultRange };
  const record = asRecord(raw, field);
  const start = numberField(record, 'start', field);
  const stop = numberField(record, 'stop', field);
  const step = numberField(record, 'step', field);
  for (const [name, value] of [['start', start], ['stop', stop], ['step', step]] as const) {
    if (!Number.isFinite(value)) throw new ValidationError(field, `${name} must be a finite number, got ${value}`);
  }
  const integer = schema.type === 'integer';
  const kind = integer ? 'an integer' : 'a number';
  for (const [name, value] of [['start', start], ['stop', stop]] as const) {
    if ((integer && !Number.isInteger(value)) || value < schema.min || value > schema.max) {
      throw new ValidationError(field, `${name} must be ${kind} from ${schema.min} to ${schema.max}, got ${value}`);
    }
  }
  if (stop < start) throw new ValidationError(field, `stop (${stop}) must not be below start (${start})`);
  if (schema.period && stop > bars) throw new ValidationError(field, `period ${stop} is longer than the series (${bars} bars)`);
  if (start === stop) {
    if (step < 0) throw new ValidationError(field, `step must not be negative, got ${step}`);
    return { start, stop, step: 1 };
  }
  if (integer ? !Number.isInteger(step) || step < 1 : !(step > 0)) {
    throw new ValidationError(field, `step must be ${integer ? 'an integer ≥ 1' : 'a number > 0'} when start ≠ stop, got ${step}`);
  }
  return { start, stop, step };
}

/** A setting given as a param: one value only. */
function validateSetting(raw: unknown, schema: ParamSchema, field: string): number {
  const range = validateRange(raw, schema, field, Infinity);
  if (valueCount(range, schema.type === 'real') !== 1) throw new ValidationError(field, 'is a setting, not swept: give one value (start = stop)');
  return range.start;
}

function validateCost(record: Record<string, unknown>, key: string, field: string): number {
  const value = numberField(record, key, field);
  if (!Number.isFinite(value) || value < 0 || value >= MAX_COST_BPS) {
    throw new ValidationError(field, `must be a finite number from 0 to below ${MAX_COST_BPS}, got ${value}`);
  }
  return value;
}

/** The sweep of a validated spec. `cap` bounds the work of counting absurd constrained ranges. */
export function gridOf(spec: Pick<BacktestSpec, 'strategy' | 'params'>, cap?: number): ParamGrid {
  const definition = STRATEGIES.get(spec.strategy) as StrategyDefinition;
  const schema = sweptParams(definition);
  return new ParamGrid(schema, schema.map((p) => spec.params[p.name]), definition.constraints[0] ?? null, cap);
}

export function validateBacktestSpec(raw: unknown, limits: SpecLimits): BacktestSpec {
  const input = asRecord(raw, 'backtest');
  const symbols = validateSymbols(input.symbols, 'backtest.symbols', limits.maxUnits);

  const timeframe = stringField(input, 'timeframe', 'backtest.timeframe') || DEFAULT_TIMEFRAME;
  if (!isTimeframe(timeframe)) throw new ValidationError('backtest.timeframe', `unsupported "${timeframe}" (one of ${TIMEFRAMES.join(' ')})`);

  const dataset = validateDataset(input.dataset, 'backtest.dataset', limits);

  const strategy = stringField(input, 'strategy', 'backtest.strategy') || DEFAULT_STRATEGY;
  const definition = STRATEGIES.get(strategy);
  if (!definition) throw new ValidationError('backtest.strategy', `unknown strategy "${strategy}" (known: ${STRATEGY_NAMES.join(', ')})`);
  const swept = sweptParams(definition);
  const known = [...swept, ...SETTING_PARAMS].map((p) => p.name);

  const rawParams = asRecord(input.params, 'backtest.params');
  for (const name of Object.keys(rawParams)) {
    if (!known.includes(name)) throw new ValidationError(`backtest.params.${name}`, `unknown parameter (${strategy} takes ${known.join(', ')})`);
  }
  const params: Record<string, ParamRange> = {};
  for (const schema of swept) params[schema.name] = validateRange(rawParams[schema.name], schema, `backtest.params.${schema.name}`, dataset.bars);

  const yearDays = validateSetting(rawParams.year_days, SETTING_PARAMS[0], 'backtest.params.year_days');
  if (yearDays !== 365 && yearDays !== 252) throw new ValidationError('backtest.params.year_days', `must be 365 or 252, got ${yearDays}`);
  const riskFree = validateSetting(rawParams.risk_free, SETTING_PARAMS[1], 'backtest.params.risk_free');

  const feeBps = validateCost(input, 'feeBps', 'backtest.fee_bps');
  const slippageBps = validateCost(input, 'slippageBps', 'backtest.slippage_bps');

  let topN = numberField(input, 'topN', 'backtest.top_n');
  if (topN === 0) topN = DEFAULT_TOP_N;
  if (!Number.isInteger(topN) || topN < 1 || topN > MAX_TOP_N) throw new ValidationError('backtest.top_n', `must be an integer from 1 to ${MAX_TOP_N}`);

  // Counting is cheap: unconstrained ranges are counted by formula, and a constrained pair only
  // walks the left values that pair with something, at most maxUnits of them.
  const grid = gridOf({ strategy, params }, limits.maxUnits);
  if (grid.total === 0) {
    const { left, right } = definition.constraints[0];
    throw new ValidationError(`backtest.params.${grid.constrained ?? left}`, `must be below ${right} for at least one combination`);
  }
  const units = symbols.length * grid.total;
  if (grid.tooMany || units > limits.maxUnits) {
    const count = grid.tooMany ? `more than ${limits.maxUnits}` : String(units);
    throw new ValidationError(
      'backtest.params',
      `${count} units (${symbols.length} symbols × ${grid.tooMany ? 'too many' : grid.total} combinations) exceed the limit of ${limits.maxUnits}`,
    );
  }
  const objective = validateObjective(input, 'backtest.objective');
  const constraints = validateConstraints(input.constraints, 'backtest.constraints');
  const fullTable = input.fullTable ?? false;
  if (typeof fullTable !== 'boolean') throw new ValidationError('backtest.full_table', 'must be a boolean');
  if (fullTable && units > FULL_TABLE_MAX_UNITS) {
    throw new ValidationError('backtest.full_table', `${units} units exceed the full table's limit of ${FULL_TABLE_MAX_UNITS}`);
  }
  return {
    symbols,
    timeframe,
    dataset,
    strategy,
    params,
    yearDays,
    riskFree,
    feeBps,
    slippageBps,
    topN,
    combinations: grid.total,
    objective,
    constraints,
    fullTable,
  };
}
