import { inputFieldPath, quoteInput } from '../../quote-input.js';
import { ValidationError } from '../../errors.js';
import { asRecord, DEFAULT_SEED, MAX_SEED, MIN_BARS, numberField, stringField, validateDataset, validateSymbols, type DatasetSpec } from '../../quant/dataset.js';
import {
  DEFAULT_STRATEGY,
  SETTING_PARAMS,
  strategyDefinition,
  STRATEGY_NAMES,
  sweptParams,
  type ParamSchema,
  type StrategyDefinition,
} from '../../quant/strategies/index.js';
import { isTimeframe, TIMEFRAMES, type DaysPerYear, type Timeframe } from '../../quant/timeframes.js';
import type { SpecLimits } from '../task-kind.js';
import { checkExitParams, EXIT_PARAMS, exitParamsOf } from './exit-params.js';
import { ParamGrid, valueCount, type ParamRange } from './grid.js';
import { DEFAULT_OBJECTIVE, validateConstraints, validateObjective, type Constraint, type Objective } from './objective.js';
import { MAX_SAMPLE_SPACE, RandomSample } from './random-sample.js';

export { DEFAULT_STRATEGY } from '../../quant/strategies/index.js';
export const DEFAULT_TIMEFRAME: Timeframe = '1h';
/** Synthetic bars per symbol when the spec gives none. */
export const DEFAULT_BARS = 20_000;
export const DEFAULT_FEE_BPS = 5;
export const DEFAULT_SLIPPAGE_BPS = 1;
/** Seed of a random search that gives none. */
export const DEFAULT_SEARCH_SEED = 1;
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
export const DEFAULT_EQUITY_CURVES = 3;
export const MAX_EQUITY_CURVES = 20;
export const DEFAULT_EQUITY_POINTS = 500;
export const MIN_EQUITY_POINTS = 2;
export const MAX_EQUITY_POINTS = 10_000;
/** Most values of a constrained parameter the sweep indexes (its pair table holds 3 numbers per value). */
export const PAIR_VALUES_CAP = 1_000_000;
/** Fewest bars of an in-sample or out-of-sample window (two marks give one return). */
export const MIN_WINDOW_BARS = 2;

/** What a backtest spec that leaves a field out gets (applied by validateBacktestSpec, on the server). */
export const BACKTEST_DEFAULTS = {
  timeframe: DEFAULT_TIMEFRAME,
  bars: DEFAULT_BARS,
  seed: DEFAULT_SEED,
  strategy: DEFAULT_STRATEGY,
  feeBps: DEFAULT_FEE_BPS,
  slippageBps: DEFAULT_SLIPPAGE_BPS,
  topN: DEFAULT_TOP_N,
  objective: DEFAULT_OBJECTIVE,
  searchSeed: DEFAULT_SEARCH_SEED,
  equityCurves: DEFAULT_EQUITY_CURVES,
  equityPoints: DEFAULT_EQUITY_POINTS,
} as const;

/**
 * Bounds validateBacktestSpec enforces regardless of the coordinator's SpecLimits (bars and units
 * are capped by those too). Costs are from 0 to below maxCostBps.
 */
export const BACKTEST_LIMITS = {
  minBars: MIN_BARS,
  maxSeed: MAX_SEED,
  maxCostBps: MAX_COST_BPS,
  maxTopN: MAX_TOP_N,
  maxEquityCurves: MAX_EQUITY_CURVES,
  minEquityPoints: MIN_EQUITY_POINTS,
  maxEquityPoints: MAX_EQUITY_POINTS,
  minWindowBars: MIN_WINDOW_BARS,
  maxSamples: MAX_SAMPLE_SPACE,
  fullTableMaxUnits: FULL_TABLE_MAX_UNITS,
} as const;

/** Every combination of the ranges, or a seeded random sample of `samples` distinct ones. */
export type SearchSpec = { method: 'grid' } | { method: 'random'; samples: number; seed: number };

/**
 * Walk-forward windows: window w trades bars [oosStart(w), oosStart(w) + outOfSampleBars) with the
 * combination that did best on its in-sample bars [isStart(w), oosStart(w)), where
 * oosStart(w) = inSampleBars + w·outOfSampleBars and isStart(w) = anchored ? 0 : w·outOfSampleBars.
 */
export interface WalkForwardSpec {
  inSampleBars: number;
  outOfSampleBars: number;
  anchored: boolean;
  /** ⌊(bars − inSampleBars) / outOfSampleBars⌋ */
  windows: number;
}

/** A validated, normalised backtest spec (plain JSON). */
export interface BacktestSpec {
  symbols: string[];
  timeframe: Timeframe;
  dataset: DatasetSpec;
  strategy: string;
  /**
   * Every swept parameter (the strategy's own, then `short`, then the exit params the spec gives:
   * exit-params.ts), in sweep order; defaults filled (the exits' only where given).
   */
  params: Record<string, ParamRange>;
  /**
   * From the `year_days` param: days per year used to annualise (365 or 252). Left out it is auto:
   * on a stored dataset, resolved at submit from its bars (year-days.ts); on synthetic data, 365.
   */
  yearDays: DaysPerYear;
  /** From the `risk_free` param: annual risk-free rate (0 to 1). */
  riskFree: number;
  feeBps: number;
  slippageBps: number;
  topN: number;
  /**
   * Combinations evaluated per symbol (and per walk-forward window): the grid's (those satisfying
   * the strategy's constraint) or the random sample's size. Units = symbols × combinations × windows.
   */
  combinations: number;
  search: SearchSpec;
  /** Walk-forward optimisation, or null for one sweep over all bars. */
  walkForward: WalkForwardSpec | null;
  /** Equity curves returned for the best rows (0 with walk-forward, whose result has its own curve). */
  equityCurves: number;
  /** Points per equity curve. */
  equityPoints: number;
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

/** proto: `optional double`, so a given 0 is 0 and only an unset cost takes the default. */
function validateCost(record: Record<string, unknown>, key: string, field: string, fallback: number): number {
  const value = numberField(record, key, field, fallback);
  if (!Number.isFinite(value) || value < 0 || value >= MAX_COST_BPS) {
    throw new ValidationError(field, `must be a finite number from 0 to below ${MAX_COST_BPS}, got ${value}`);
  }
  return value;
}

/** The swept parameters of a validated spec, in sweep order: the strategy's own, `short`, the exits it gives. */
export function sweptSchemaOf(spec: Pick<BacktestSpec, 'strategy' | 'params'>): ParamSchema[] {
  return [...sweptParams(strategyDefinition(spec.strategy) as StrategyDefinition), ...exitParamsOf(spec.params)];
}

/** The full grid of a validated spec's ranges. `cap` bounds the work of counting absurd constrained ranges. */
export function gridOf(spec: Pick<BacktestSpec, 'strategy' | 'params'>, cap?: number): ParamGrid {
  const definition = strategyDefinition(spec.strategy) as StrategyDefinition;
  const schema = sweptSchemaOf(spec);
  return new ParamGrid(schema, schema.map((p) => spec.params[p.name]), definition.constraints[0] ?? null, cap);
}

/** The combinations a job evaluates: combination c (0 ≤ c < spec.combinations) decodes to parameter values. */
export interface Sweep {
  readonly names: readonly string[];
  decode(c: number, out: Float64Array): Float64Array;
}

export function sweepOf(spec: Pick<BacktestSpec, 'strategy' | 'params' | 'search'>): Sweep {
  const grid = gridOf(spec);
  if (spec.search.method === 'grid') return grid;
  const sample = new RandomSample(grid.total, spec.search.seed);
  return { names: grid.names, decode: (c, out) => grid.decode(sample.at(c), out) };
}

function validateSearch(raw: unknown, space: number): SearchSpec {
  const record = asRecord(raw, 'backtest.search');
  const method = stringField(record, 'method', 'backtest.search.method') || 'grid';
  const samples = numberField(record, 'samples', 'backtest.search.samples');
  if (method === 'grid') {
    if (samples !== 0) throw new ValidationError('backtest.search.samples', 'only with method "random"');
    return { method };
  }
  if (method !== 'random') throw new ValidationError('backtest.search.method', `unknown method ${quoteInput(method)} (grid or random)`);
  if (!Number.isInteger(samples) || samples < 1) throw new ValidationError('backtest.search.samples', `must be an integer ≥ 1, got ${samples}`);
  if (samples > space) throw new ValidationError('backtest.search.samples', `${samples} exceed the ${space} combinations of the ranges`);
  const seed = numberField(record, 'seed', 'backtest.search.seed', DEFAULT_SEARCH_SEED);
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw new ValidationError('backtest.search.seed', `must be an integer from 0 to ${MAX_SEED}`);
  return { method, samples, seed };
}

function validateWalkForward(raw: unknown, bars: number): WalkForwardSpec | null {
  if (raw === undefined || raw === null) return null;
  const record = asRecord(raw, 'backtest.walk_forward');
  const inSampleBars = numberField(record, 'inSampleBars', 'backtest.walk_forward.in_sample_bars');
  const outOfSampleBars = numberField(record, 'outOfSampleBars', 'backtest.walk_forward.out_of_sample_bars');
  const anchored = record.anchored ?? false;
  if (typeof anchored !== 'boolean') throw new ValidationError('backtest.walk_forward.anchored', 'must be a boolean');
  // A walk_forward message given is a walk-forward: {0, 0} is refused below, not read as none (leave the field unset for none).
  for (const [field, value] of [['in_sample_bars', inSampleBars], ['out_of_sample_bars', outOfSampleBars]] as const) {
    if (!Number.isInteger(value) || value < MIN_WINDOW_BARS) {
      throw new ValidationError(`backtest.walk_forward.${field}`, `must be an integer ≥ ${MIN_WINDOW_BARS}, got ${value}`);
    }
  }
  if (inSampleBars + outOfSampleBars > bars) {
    throw new ValidationError(
      'backtest.walk_forward.in_sample_bars',
      `one window (${inSampleBars} in-sample + ${outOfSampleBars} out-of-sample bars) is longer than the data (${bars} bars)`,
    );
  }
  return { inSampleBars, outOfSampleBars, anchored, windows: Math.floor((bars - inSampleBars) / outOfSampleBars) };
}

function validateCount(record: Record<string, unknown>, key: string, field: string, fallback: number, min: number, max: number): number {
  const value = numberField(record, key, field) || fallback;
  if (!Number.isInteger(value) || value < min || value > max) throw new ValidationError(field, `must be an integer from ${min} to ${max}, got ${value}`);
  return value;
}

export function validateBacktestSpec(raw: unknown, limits: SpecLimits): BacktestSpec {
  const input = asRecord(raw, 'backtest');
  const symbols = validateSymbols(input.symbols, 'backtest.symbols', limits.maxUnits);

  const timeframe = stringField(input, 'timeframe', 'backtest.timeframe') || DEFAULT_TIMEFRAME;
  if (!isTimeframe(timeframe)) throw new ValidationError('backtest.timeframe', `unsupported ${quoteInput(timeframe)} (one of ${TIMEFRAMES.join(' ')})`);

  const dataset = validateDataset(input.dataset, 'backtest.dataset', limits, DEFAULT_BARS);

  const strategy = stringField(input, 'strategy', 'backtest.strategy') || DEFAULT_STRATEGY;
  const definition = strategyDefinition(strategy);
  if (!definition) throw new ValidationError('backtest.strategy', `unknown strategy ${quoteInput(strategy)} (built in: ${STRATEGY_NAMES.join(', ')}; pushed ones: quantgrid strategy ls)`);
  const swept = sweptParams(definition);
  const common = [...SETTING_PARAMS, ...EXIT_PARAMS].map((p) => p.name);
  const clash = definition.params.find((p) => common.includes(p.name));
  if (clash) throw new ValidationError('backtest.strategy', `${quoteInput(strategy)}'s parameter ${clash.name} is now common to every strategy; push it again with another name`);
  const known = [...swept.map((p) => p.name), ...common];

  const rawParams = asRecord(input.params, 'backtest.params');
  for (const name of Object.keys(rawParams)) {
    if (!known.includes(name)) {
      const own = [...swept, ...SETTING_PARAMS].map((p) => p.name).join(', ');
      throw new ValidationError(inputFieldPath('backtest.params', name), `unknown parameter (${strategy} takes ${own} and the exit rules ${EXIT_PARAMS[0].name}, …: quantgrid submit backtest --help)`);
    }
  }
  const params: Record<string, ParamRange> = {};
  for (const schema of swept) params[schema.name] = validateRange(rawParams[schema.name], schema, `backtest.params.${schema.name}`, dataset.bars);
  const exits: Record<string, ParamRange> = {};
  for (const schema of EXIT_PARAMS) {
    if (rawParams[schema.name] !== undefined && rawParams[schema.name] !== null) exits[schema.name] = validateRange(rawParams[schema.name], schema, `backtest.params.${schema.name}`, dataset.bars);
  }
  Object.assign(exits, checkExitParams(exits));
  // In sweep order (EXIT_PARAMS'), after the strategy's own and `short`.
  for (const schema of EXIT_PARAMS) if (exits[schema.name] !== undefined) params[schema.name] = exits[schema.name];

  const yearDays = validateSetting(rawParams.year_days, SETTING_PARAMS[0], 'backtest.params.year_days');
  if (yearDays !== 365 && yearDays !== 252) throw new ValidationError('backtest.params.year_days', `must be 365 or 252, got ${yearDays}`);
  const riskFree = validateSetting(rawParams.risk_free, SETTING_PARAMS[1], 'backtest.params.risk_free');

  const feeBps = validateCost(input, 'feeBps', 'backtest.fee_bps', DEFAULT_FEE_BPS);
  const slippageBps = validateCost(input, 'slippageBps', 'backtest.slippage_bps', DEFAULT_SLIPPAGE_BPS);

  let topN = numberField(input, 'topN', 'backtest.top_n');
  if (topN === 0) topN = DEFAULT_TOP_N;
  if (!Number.isInteger(topN) || topN < 1 || topN > MAX_TOP_N) throw new ValidationError('backtest.top_n', `must be an integer from 1 to ${MAX_TOP_N}`);

  // Counting is cheap: unconstrained ranges are counted by formula, and a constrained pair only
  // walks the left values that pair with something, at most PAIR_VALUES_CAP of them (a random
  // search may sample ranges much larger than the unit limit).
  const grid = gridOf({ strategy, params }, Math.max(limits.maxUnits, PAIR_VALUES_CAP));
  if (grid.total === 0) {
    const { left, right } = definition.constraints[0];
    throw new ValidationError(`backtest.params.${grid.constrained ?? left}`, `must be below ${right} for at least one combination`);
  }
  if (grid.tooMany || grid.total > MAX_SAMPLE_SPACE) {
    const what = grid.tooMany ? `more than ${Math.max(limits.maxUnits, PAIR_VALUES_CAP)} values of ${grid.constrained} pair up` : `more than ${MAX_SAMPLE_SPACE} combinations`;
    throw new ValidationError(`backtest.params${grid.tooMany ? `.${grid.constrained}` : ''}`, `${what}; narrow the ranges`);
  }
  const search = validateSearch(input.search, grid.total);
  const combinations = search.method === 'random' ? search.samples : grid.total;
  const walkForward = validateWalkForward(input.walkForward, dataset.bars);
  const windows = walkForward?.windows ?? 1;
  const units = symbols.length * combinations * windows;
  if (units > limits.maxUnits) {
    const parts = [`${symbols.length} symbols`, `${combinations} combinations`, ...(walkForward ? [`${windows} windows`] : [])].join(' × ');
    throw new ValidationError(search.method === 'random' ? 'backtest.search.samples' : 'backtest.params', `${units} units (${parts}) exceed the limit of ${limits.maxUnits}`);
  }
  const objective = validateObjective(input, 'backtest.objective');
  const constraints = validateConstraints(input.constraints, 'backtest.constraints');
  const fullTable = input.fullTable ?? false;
  if (typeof fullTable !== 'boolean') throw new ValidationError('backtest.full_table', 'must be a boolean');
  if (fullTable && walkForward) throw new ValidationError('backtest.full_table', 'not with walk_forward (its result has a row per window)');
  if (fullTable && units > FULL_TABLE_MAX_UNITS) {
    throw new ValidationError('backtest.full_table', `${units} units exceed the full table's limit of ${FULL_TABLE_MAX_UNITS}`);
  }
  const equityCurves = validateCount(input, 'equityCurves', 'backtest.equity_curves', DEFAULT_EQUITY_CURVES, 1, MAX_EQUITY_CURVES);
  const equityPoints = validateCount(input, 'equityPoints', 'backtest.equity_points', DEFAULT_EQUITY_POINTS, MIN_EQUITY_POINTS, MAX_EQUITY_POINTS);
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
    combinations,
    search,
    walkForward,
    objective,
    constraints,
    fullTable,
    equityCurves: walkForward ? 0 : equityCurves,
    equityPoints,
  };
}

/** A validated spec as the proto BacktestSpec (camelCase): validateBacktestSpec of it gives the spec back. */
export function backtestSpecToWire(spec: BacktestSpec): Record<string, unknown> {
  const params: Record<string, ParamRange> = { ...spec.params };
  // The settings are params too (one value each): year_days always (left out it would be auto again,
  // which on a stored dataset is not necessarily the default), risk_free left out at its default.
  const [yearDays, riskFree] = SETTING_PARAMS;
  params[yearDays.name] = { start: spec.yearDays, stop: spec.yearDays, step: 0 };
  if (spec.riskFree !== riskFree.defaultRange.start) params[riskFree.name] = { start: spec.riskFree, stop: spec.riskFree, step: 0 };
  return {
    symbols: [...spec.symbols],
    timeframe: spec.timeframe,
    dataset: { ...spec.dataset },
    strategy: spec.strategy,
    params,
    feeBps: spec.feeBps,
    slippageBps: spec.slippageBps,
    topN: spec.topN,
    objective: spec.objective,
    constraints: spec.constraints.map((constraint) => ({ ...constraint })),
    fullTable: spec.fullTable,
    search: spec.search.method === 'random' ? { method: 'random', samples: spec.search.samples, seed: spec.search.seed } : { method: 'grid', samples: 0 },
    walkForward: spec.walkForward
      ? { inSampleBars: spec.walkForward.inSampleBars, outOfSampleBars: spec.walkForward.outOfSampleBars, anchored: spec.walkForward.anchored }
      : null,
    // 0 with walk-forward reads back as the default, which validate sets to 0 again.
    equityCurves: spec.equityCurves,
    equityPoints: spec.equityPoints,
  };
}
