import { valueAt, valueCount } from './grid.js';
import { objectiveKey, type Constraint, type Objective } from './objective.js';
import type { BacktestPartial, BacktestTableRow } from './run.js';
import { compareParams, compareRows, compareScores, type BacktestRow } from './ranking.js';
import type { EquityCurve } from './equity-curve.js';
import { aggregateSkipReason, sweepOf, sweptSchemaOf, type BacktestSpec } from './spec.js';
import { mergeWalkForward, type WalkForwardResult } from './walk-forward-merge.js';

/** A row's metrics; null when undefined (see shared/quant/metrics.ts). */
export interface BacktestRowMetrics {
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

/** A ranked row of the result. */
export interface BacktestTopRow extends BacktestRowMetrics {
  rank: number;
  symbol: string;
  /** The swept parameters in sweep order: the strategy's own, then `short`. */
  params: Record<string, number>;
}

/** A row of the full table (every unit, in unit order: symbol-major, then sweep order). */
export interface BacktestFullRow extends BacktestRowMetrics {
  symbol: string;
  params: Record<string, number>;
  meetsConstraints: boolean;
}

/** A parameter combination ranked by its objective averaged over the job's symbols. */
export interface BacktestAggregateRow {
  rank: number;
  params: Record<string, number>;
  /** Mean of the objective over every symbol (summed in the job's symbol order); null if any is null. */
  mean: number | null;
  /** The objective on each symbol, in the job's symbol order. */
  values: Record<string, number | null>;
}

export type BacktestAggregate =
  | { status: 'computed'; combinations: number; excludedByConstraints: number; top: BacktestAggregateRow[] }
  | { status: 'skipped'; reason: string };

/**
 * The objective over a two-parameter sweep: values[j][i] is the cell x = xs[i], y = ys[j]
 * (of one symbol, or the aggregate mean); null where the combination does not exist (the strategy's
 * own constraint), missed a constraint (on any symbol, for the aggregate) or its objective is undefined.
 */
export interface BacktestHeatmap {
  source: 'symbol' | 'aggregate';
  /** The symbol, when source = 'symbol'. */
  symbol?: string;
  objective: Objective;
  x: string;
  y: string;
  xs: number[];
  ys: number[];
  values: Array<Array<number | null>>;
}

export interface BacktestResult {
  kind: 'backtest';
  strategy: string;
  timeframe: string;
  bars: number;
  /** The days per year the metrics are annualised with (the spec's year_days: given, or auto resolved at submit). */
  yearDays: number;
  evaluated: number;
  objective: Objective;
  constraints: Constraint[];
  /** Rows (symbol × combination) that missed a constraint: in no ranking. */
  excludedByConstraints: number;
  top: BacktestTopRow[];
  /** Jobs of 2+ symbols: each symbol's own top N, in the job's symbol order. */
  perSymbol?: Record<string, BacktestTopRow[]>;
  /** Jobs of 2+ symbols: the combinations ranked by their objective averaged over the symbols. */
  aggregate?: BacktestAggregate;
  /** Two-parameter sweeps of one symbol with full_table, or of 2+ symbols with the aggregate computed. */
  heatmap?: BacktestHeatmap;
  /** full_table: every row, in unit order. */
  table?: BacktestFullRow[];
  /** The equity curves of the best spec.equityCurves rows of `top`, in rank order. */
  equityCurves?: EquityCurve[];
  /** Walk-forward jobs (whose `top` is empty): each window's in-sample choice and the stitched out-of-sample result. */
  walkForward?: WalkForwardResult;
}

function metricsOf(row: BacktestRow): BacktestRowMetrics {
  return {
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
  };
}

function paramsInOrder(params: Record<string, number>, names: readonly string[]): Record<string, number> {
  return Object.fromEntries(names.map((name) => [name, params[name]]));
}

function ranked(rows: BacktestRow[], spec: BacktestSpec, names: readonly string[]): BacktestTopRow[] {
  const key = objectiveKey(spec.objective);
  rows.sort((a, b) => compareRows(a, b, names, key));
  if (rows.length > spec.topN) rows.length = spec.topN;
  return rows.map((row, i) => ({ rank: i + 1, symbol: row.symbol, params: paramsInOrder(row.params, names), ...metricsOf(row) }));
}

/** Every unit's score (number, null, or false for a missed constraint), from the partials' contiguous runs. */
function unitScores(spec: BacktestSpec, partials: readonly BacktestPartial[]): Array<number | null | false> {
  const units = spec.symbols.length * spec.combinations;
  const scores = new Array<number | null | false>(units);
  let filled = 0;
  for (const partial of partials) {
    const own = partial.scores ?? [];
    for (let i = 0; i < own.length; i++) scores[partial.first + i] = own[i];
    filled += own.length;
  }
  if (filled !== units) throw new Error(`backtest merge: the partials carry ${filled} scores for ${units} units`);
  return scores;
}

/**
 * Per combination: its mean objective over the symbols (summed in symbol order, so it does not
 * depend on the partitioning), null if any symbol's is null, or false if any symbol missed a constraint.
 */
function combinationMeans(spec: BacktestSpec, scores: ReadonlyArray<number | null | false>): Array<number | null | false> {
  const symbols = spec.symbols.length;
  const combinations = spec.combinations;
  const means = new Array<number | null | false>(combinations);
  for (let c = 0; c < combinations; c++) {
    let sum = 0;
    let mean: number | null | false = null;
    let anyNull = false;
    let missed = false;
    for (let s = 0; s < symbols; s++) {
      const score = scores[s * combinations + c];
      if (score === false) missed = true;
      else if (score === null) anyNull = true;
      else sum += score;
    }
    if (missed) mean = false;
    else if (!anyNull) mean = sum / symbols;
    means[c] = mean;
  }
  return means;
}

function aggregateOf(spec: BacktestSpec, scores: ReadonlyArray<number | null | false>, means: ReadonlyArray<number | null | false>): BacktestAggregate {
  const grid = sweepOf(spec);
  const names = grid.names;
  const order: number[] = [];
  let excluded = 0;
  for (let c = 0; c < means.length; c++) {
    if (means[c] === false) excluded++;
    else order.push(c);
  }
  // Mean descending, null last, then the combination index: parameters ascending in sweep order.
  order.sort((a, b) => compareScores(means[a] as number | null, means[b] as number | null) || a - b);
  if (order.length > spec.topN) order.length = spec.topN;
  const out = new Float64Array(names.length);
  const top = order.map((c, i) => {
    grid.decode(c, out);
    const values: Record<string, number | null> = {};
    spec.symbols.forEach((symbol, s) => (values[symbol] = scores[s * spec.combinations + c] as number | null));
    return {
      rank: i + 1,
      params: Object.fromEntries(names.map((name, j) => [name, out[j]])),
      mean: means[c] as number | null,
      values,
    };
  });
  return { status: 'computed', combinations: spec.combinations, excludedByConstraints: excluded, top };
}

/** The two swept parameters with more than one value, in sweep order, or null unless there are exactly two. */
function heatmapAxes(spec: BacktestSpec): { x: number; y: number; xs: number[]; ys: number[] } | null {
  const schema = sweptSchemaOf(spec);
  const varying: number[] = [];
  const axes: number[][] = [];
  schema.forEach((param, i) => {
    const real = param.type === 'real';
    const range = spec.params[param.name];
    const count = valueCount(range, real);
    if (count > 1) {
      varying.push(i);
      axes.push(Array.from({ length: count }, (_, k) => valueAt(range, k, real)));
    }
  });
  if (varying.length !== 2) return null;
  return { x: varying[0], y: varying[1], xs: axes[0], ys: axes[1] };
}

/** The heatmap of per-combination values (null where there is none). */
function heatmapOf(spec: BacktestSpec, cell: (c: number) => number | null, source: 'symbol' | 'aggregate'): BacktestHeatmap | null {
  const axes = heatmapAxes(spec);
  if (axes === null) return null;
  const grid = sweepOf(spec);
  const xIndex = new Map(axes.xs.map((v, i) => [v, i]));
  const yIndex = new Map(axes.ys.map((v, j) => [v, j]));
  const values = axes.ys.map(() => axes.xs.map((): number | null => null));
  const out = new Float64Array(grid.names.length);
  for (let c = 0; c < spec.combinations; c++) {
    grid.decode(c, out);
    const i = xIndex.get(out[axes.x]);
    const j = yIndex.get(out[axes.y]);
    if (i === undefined || j === undefined) throw new Error(`backtest merge: combination ${c} is off the heatmap's axes`);
    values[j][i] = cell(c);
  }
  return {
    source,
    ...(source === 'symbol' ? { symbol: spec.symbols[0] } : {}),
    objective: spec.objective,
    x: grid.names[axes.x],
    y: grid.names[axes.y],
    xs: axes.xs,
    ys: axes.ys,
    values,
  };
}

/**
 * The curves of the best `count` rows: a row in the job's top `count` is in its partition's top
 * `count` (the ranking is a total order), whose curves the partition sent.
 */
function curvesOfTop(top: readonly BacktestTopRow[], partials: readonly BacktestPartial[], count: number, names: readonly string[]): EquityCurve[] {
  return top.slice(0, count).map((row) => {
    for (const partial of partials) {
      for (const curve of partial.curves ?? []) {
        if (curve.symbol === row.symbol && compareParams(curve.params, row.params, names) === 0) {
          return { symbol: curve.symbol, params: row.params, bar: curve.bar, time: curve.time, equity: curve.equity };
        }
      }
    }
    throw new Error(`backtest merge: no partial sent the equity curve of ${row.symbol} ${JSON.stringify(row.params)}`);
  });
}

/**
 * Exact for any partitioning:
 * - the rankings are total orders over units and every partition keeps its own top N (overall and
 *   per symbol), so a merged top N is the top N of the union of the partials' rows;
 * - the aggregate and its heatmap are computed here from every unit's objective value, which the
 *   partials carry in unit order (each value placed by its unit index, then summed in symbol order,
 *   never averaged across partitions);
 * - the full table is the partials' tables concatenated in partition (= unit) order.
 */
export function mergeBacktest(spec: BacktestSpec, partials: readonly BacktestPartial[]): BacktestResult {
  const names = sweepOf(spec).names;
  let evaluated = 0;
  let excluded = 0;
  const rows: BacktestRow[] = [];
  for (const partial of partials) {
    evaluated += partial.evaluated;
    excluded += partial.excluded;
    for (const row of partial.rows) rows.push(row);
  }
  const result: BacktestResult = {
    kind: 'backtest',
    strategy: spec.strategy,
    timeframe: spec.timeframe,
    bars: spec.dataset.bars,
    yearDays: spec.yearDays,
    evaluated,
    objective: spec.objective,
    constraints: spec.constraints,
    excludedByConstraints: excluded,
    top: ranked(rows, spec, names),
  };
  const key = objectiveKey(spec.objective);
  if (spec.walkForward) {
    result.walkForward = mergeWalkForward(spec, partials);
    return result;
  }

  if (spec.symbols.length > 1) {
    const perSymbol: Record<string, BacktestTopRow[]> = {};
    for (const symbol of spec.symbols) {
      const own: BacktestRow[] = [];
      for (const partial of partials) for (const row of partial.perSymbol?.[symbol] ?? []) own.push(row);
      perSymbol[symbol] = ranked(own, spec, names);
    }
    result.perSymbol = perSymbol;
    const reason = aggregateSkipReason(spec);
    if (reason !== null) {
      result.aggregate = { status: 'skipped', reason };
    } else {
      const scores = unitScores(spec, partials);
      const means = combinationMeans(spec, scores);
      result.aggregate = aggregateOf(spec, scores, means);
      const heatmap = heatmapOf(spec, (c) => (means[c] === false ? null : (means[c] as number | null)), 'aggregate');
      if (heatmap) result.heatmap = heatmap;
    }
  }

  if (spec.fullTable) {
    const table: BacktestTableRow[] = [];
    for (const partial of partials) for (const row of partial.table ?? []) table.push(row);
    if (table.length !== evaluated) throw new Error(`backtest merge: the partials carry ${table.length} table rows for ${evaluated} units`);
    if (spec.symbols.length === 1) {
      const heatmap = heatmapOf(spec, (c) => (table[c].meetsConstraints ? table[c][key] : null), 'symbol');
      if (heatmap) result.heatmap = heatmap;
    }
    result.table = table.map((row) => ({
      symbol: row.symbol,
      params: paramsInOrder(row.params, names),
      ...metricsOf(row),
      meetsConstraints: row.meetsConstraints,
    }));
  }
  if (spec.equityCurves > 0) result.equityCurves = curvesOfTop(result.top, partials, spec.equityCurves, names);
  return result;
}
