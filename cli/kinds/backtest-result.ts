import type {
  BacktestAggregate,
  BacktestHeatmap,
  BacktestResult,
  BacktestTopRow,
  EquityCurve,
  Objective,
  WalkForwardResult,
} from '../../shared/tasks/backtest/index.js';
import { objectiveKey, type MetricKey } from '../../shared/tasks/backtest/objective.js';
import { paramNamesOf } from '../../shared/tasks/backtest/result-csv.js';
import { formatCount, formatNumber, formatPercent, NONE } from '../render/format.js';
import { renderTable, type Align } from '../render/table.js';

/**
 * A backtest's result (shared/tasks/backtest: BacktestResult) as text tables and CSV; part of the
 * backtest kind's CLI (cli/kinds/backtest.ts), kept apart for its size. The metrics and the one each
 * objective reads are the kind's (shared/tasks/backtest/objective.ts).
 */

/** Each metric's column: its header and how a value shows. */
const METRIC_COLUMNS: Record<MetricKey, readonly [string, (value: number | null) => string]> = {
  sharpe: ['sharpe', (v) => formatNumber(v, 2)],
  totalReturn: ['return', (v) => formatPercent(v, 2)],
  cagr: ['CAGR', (v) => formatPercent(v, 2)],
  volatility: ['volatility', (v) => formatPercent(v, 2)],
  maxDrawdown: ['max DD', (v) => formatPercent(v, 2)],
  trades: ['trades', formatCount],
  winRate: ['win rate', (v) => formatPercent(v, 1)],
  exposure: ['exposure', (v) => formatPercent(v, 1)],
  sortino: ['sortino', (v) => formatNumber(v, 2)],
  calmar: ['calmar', (v) => formatNumber(v, 2)],
  maxDrawdownDuration: ['max DD bars', formatCount],
  profitFactor: ['profit factor', (v) => formatNumber(v, 2)],
  avgTradeReturn: ['avg trade', (v) => formatPercent(v, 2)],
};

/** The metrics every ranking table shows; an objective's metric not among them gets a column first. */
const RANKING_METRICS: readonly MetricKey[] = ['sharpe', 'totalReturn', 'cagr', 'volatility', 'maxDrawdown', 'trades', 'winRate', 'exposure'];

/** The ranking table's metrics under an objective. */
function rankingMetrics(objective: Objective): readonly MetricKey[] {
  const key = objectiveKey(objective);
  return RANKING_METRICS.includes(key) ? RANKING_METRICS : [key, ...RANKING_METRICS];
}

const OBJECTIVE_LABELS: Record<Objective, string> = {
  sharpe: 'Sharpe ratio',
  sortino: 'Sortino ratio',
  calmar: 'Calmar ratio',
  total_return: 'total return',
  cagr: 'CAGR',
  profit_factor: 'profit factor',
};

/** Rows shown per symbol in the per-symbol tables (--json or --csv has them all). */
const PER_SYMBOL_ROWS = 10;
/** Symbols whose own values the aggregate table shows as columns. */
const AGGREGATE_SYMBOL_COLUMNS = 6;
/** Heatmaps wider than this many columns are drawn with shades instead of numbers. */
const HEATMAP_NUMBER_COLUMNS = 14;
const SHADES = ' ░▒▓█';

function formatParam(value: number | undefined | null): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : formatNumber(value, 4);
  return NONE;
}


function rankingTable(rows: readonly BacktestTopRow[], objective: Objective): string {
  const paramNames = paramNamesOf(rows);
  const metrics = rankingMetrics(objective);
  const head = ['#', 'symbol', ...paramNames, ...metrics.map((key) => METRIC_COLUMNS[key][0])];
  const align: Align[] = ['right', 'left', ...paramNames.map((): Align => 'right'), ...metrics.map((): Align => 'right')];
  const body = rows.map((row) => [
    formatCount(row.rank),
    row.symbol,
    ...paramNames.map((name) => formatParam(row.params[name])),
    ...metrics.map((key) => METRIC_COLUMNS[key][1](row[key])),
  ]);
  return renderTable(head, body, align);
}

function constraintLine(result: BacktestResult): string | null {
  if (result.constraints.length === 0) return null;
  const text = result.constraints.map((c) => `${c.metric} ${c.op} ${c.value}`).join(', ');
  return `constraints: ${text} (${formatCount(result.excludedByConstraints)} rows excluded from the rankings)`;
}

function renderPerSymbol(perSymbol: Record<string, BacktestTopRow[]>, objective: Objective): string {
  const parts: string[] = [];
  for (const [symbol, rows] of Object.entries(perSymbol)) {
    const shown = rows.slice(0, PER_SYMBOL_ROWS);
    const more = rows.length > shown.length ? ` (first ${shown.length} of ${rows.length}; --json or --csv for all)` : '';
    parts.push(rows.length === 0 ? `${symbol}: (no rows met the constraints)` : `${symbol}: top ${rows.length}${more}\n${rankingTable(shown, objective)}`);
  }
  return parts.join('\n');
}

function renderAggregate(aggregate: BacktestAggregate, objective: Objective, label: string): string {
  if (aggregate.status !== 'computed') return `aggregate over symbols: skipped (${aggregate.reason})`;
  const rows = aggregate.top;
  const title =
    `aggregate over symbols: ${formatCount(aggregate.combinations)} combinations ranked by mean ${label}` +
    (aggregate.excludedByConstraints > 0 ? `, ${formatCount(aggregate.excludedByConstraints)} excluded (a symbol missed a constraint)` : '');
  if (rows.length === 0) return `${title}\n(no results)`;
  const paramNames = paramNamesOf(rows);
  const symbols = Object.keys(rows[0].values);
  const shownSymbols = symbols.length <= AGGREGATE_SYMBOL_COLUMNS ? symbols : [];
  const head = ['#', ...paramNames, `mean ${objective}`, ...shownSymbols];
  const align: Align[] = ['right', ...paramNames.map((): Align => 'right'), 'right', ...shownSymbols.map((): Align => 'right')];
  const body = rows.map((row) => [
    formatCount(row.rank),
    ...paramNames.map((name) => formatParam(row.params[name])),
    formatNumber(row.mean, 3),
    ...shownSymbols.map((symbol) => formatNumber(row.values[symbol], 3)),
  ]);
  return `${title}\n${renderTable(head, body, align)}`;
}

/** The heatmap as text: one line per y value, one column per x value (numbers, or shades when wide). */
export function renderHeatmap(heatmap: BacktestHeatmap): string {
  const { xs, ys, values, x, y } = heatmap;
  const of = heatmap.source === 'symbol' ? (heatmap.symbol ?? NONE) : 'mean over symbols';
  const title = `heatmap of ${heatmap.objective} (${of}): rows ${y}, columns ${x}; '${NONE}' = none`;
  const finite = values.flat().filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const yLabels = ys.map(formatParam);
  const corner = `${y}\\${x}`;
  const yWidth = Math.max(corner.length, ...yLabels.map((l) => l.length));
  if (xs.length <= HEATMAP_NUMBER_COLUMNS) {
    const cells = values.map((row) => xs.map((_, i) => (typeof row[i] === 'number' ? formatNumber(row[i], 2) : NONE)));
    const xLabels = xs.map(formatParam);
    const width = Math.max(...xLabels.map((l) => l.length), ...cells.flat().map((c) => c.length));
    const lines = [`${corner.padStart(yWidth)} ${xLabels.map((l) => l.padStart(width)).join(' ')}`];
    cells.forEach((row, j) => lines.push(`${yLabels[j].padStart(yWidth)} ${row.map((c) => c.padStart(width)).join(' ')}`));
    return `${title}\n${lines.join('\n')}`;
  }
  const min = finite.length ? Math.min(...finite) : 0;
  const max = finite.length ? Math.max(...finite) : 0;
  const shade = (v: number | null | undefined): string => {
    if (typeof v !== 'number') return '·';
    const level = max === min ? SHADES.length - 1 : Math.round(((v - min) / (max - min)) * (SHADES.length - 1));
    return SHADES[Math.max(0, Math.min(SHADES.length - 1, level))];
  };
  const lines = values.map((row, j) => `${yLabels[j].padStart(yWidth)} ${xs.map((_, i) => shade(row[i])).join('')}`);
  const footer = `${' '.repeat(yWidth)} ${x} ${formatParam(xs[0])} … ${formatParam(xs[xs.length - 1])}; shades '${SHADES}' from ${formatNumber(min, 2)} to ${formatNumber(max, 2)}, '·' = none`;
  return `${title}\n${lines.join('\n')}\n${footer}`;
}

const SPARKS = '▁▂▃▄▅▆▇█';
const SPARKLINE_WIDTH = 60;

/** An equity curve in one line of block characters (at most SPARKLINE_WIDTH, evenly picked points). */
export function sparkline(values: readonly number[]): string {
  const numbers = values.filter((v) => Number.isFinite(v));
  if (numbers.length === 0) return '';
  const picked = numbers.length <= SPARKLINE_WIDTH ? numbers : Array.from({ length: SPARKLINE_WIDTH }, (_, i) => numbers[Math.round((i * (numbers.length - 1)) / (SPARKLINE_WIDTH - 1))]);
  const min = Math.min(...picked);
  const max = Math.max(...picked);
  return picked.map((v) => SPARKS[max === min ? 0 : Math.round(((v - min) / (max - min)) * (SPARKS.length - 1))]).join('');
}

function renderEquityCurves(curves: readonly EquityCurve[]): string {
  const lines = [`equity curves of the best ${curves.length} (${formatCount(curves[0].equity.length)} points each; --json for the values)`];
  curves.forEach((curve, index) => {
    const label = `#${index + 1} ${curve.symbol} ${Object.entries(curve.params).map(([name, value]) => `${name}=${formatParam(value)}`).join(' ')}`;
    lines.push(`${label}\n  ${sparkline(curve.equity)} ${formatNumber(curve.equity[curve.equity.length - 1], 3)}`);
  });
  return lines.join('\n');
}

function renderWalkForward(walkForward: WalkForwardResult, objective: Objective): string {
  const title =
    `walk-forward: ${formatCount(walkForward.windows)} windows of ${formatCount(walkForward.inSampleBars)} in-sample + ` +
    `${formatCount(walkForward.outOfSampleBars)} out-of-sample bars (${walkForward.anchored ? 'anchored' : 'rolling'}); ` +
    `best in sample by ${objective}, traded out of sample on bars ${formatCount(walkForward.from)}–${formatCount(walkForward.to - 1)}`;
  const parts = [title];
  const key = objectiveKey(objective);
  for (const own of walkForward.symbols) {
    const stitched = own.outOfSample;
    parts.push(
      `${own.symbol} out of sample (stitched): return ${formatPercent(stitched.totalReturn, 2)}, Sharpe ${formatNumber(stitched.sharpe, 2)}, ` +
        `max DD ${formatPercent(stitched.maxDrawdown, 2)}, trades ${formatCount(stitched.trades)}\n  ${sparkline(own.equity.equity)}`,
    );
    const paramNames = paramNamesOf(own.windows);
    const head = ['window', 'out-of-sample from', ...paramNames, `IS ${objective}`, 'OOS return', 'OOS sharpe', 'OOS max DD', 'OOS trades'];
    const align: Align[] = ['right', 'left', ...paramNames.map((): Align => 'right'), 'right', 'right', 'right', 'right', 'right'];
    const body = own.windows.map((w) => {
      const oos = w.outOfSampleMetrics;
      return [
        formatCount(w.window),
        w.outOfSample.fromTime,
        ...paramNames.map((name) => (w.params ? formatParam(w.params[name]) : NONE)),
        w.params ? formatNumber(w.inSampleMetrics?.[key] ?? null, 3) : '(none met the constraints)',
        formatPercent(oos.totalReturn, 2),
        formatNumber(oos.sharpe, 2),
        formatPercent(oos.maxDrawdown, 2),
        formatCount(oos.trades),
      ];
    });
    parts.push(renderTable(head, body, align));
  }
  if (walkForward.aggregate) parts.push(`mean out-of-sample ${objective} over symbols: ${formatNumber(walkForward.aggregate.mean, 3)}`);
  return parts.join('\n');
}

/** How the bars were counted and annualised, e.g. "8,760 bars per symbol, annualised with 365 days a year" (results from before year_days was reported: no annualisation). */
function barsText(result: BacktestResult): string {
  const annualised = result.yearDays === undefined ? '' : `, annualised with ${result.yearDays} days a year`;
  return `${formatCount(result.bars)} bars per symbol${annualised}`;
}

export function renderBacktestResult(result: BacktestResult): string {
  const objective = result.objective;
  if (result.walkForward) {
    const title = `backtest ${result.strategy} on ${result.timeframe} bars (${barsText(result)}): ${formatCount(result.evaluated)} in-sample backtests (symbols × combinations × windows)`;
    return [title, ...[constraintLine(result)].filter((line): line is string => line !== null), renderWalkForward(result.walkForward, objective)].join('\n');
  }
  const rows = result.top;
  const label = OBJECTIVE_LABELS[objective];
  const title =
    `backtest ${result.strategy} on ${result.timeframe} bars ` +
    `(${barsText(result)}): ${formatCount(result.evaluated)} combinations evaluated, ` +
    `top ${rows.length} by ${label}`;
  const parts = [title];
  const constraints = constraintLine(result);
  if (constraints) parts.push(constraints);
  parts.push(rows.length === 0 ? '(no results)' : rankingTable(rows, objective));
  if (result.perSymbol) parts.push(renderPerSymbol(result.perSymbol, objective));
  if (result.aggregate) parts.push(renderAggregate(result.aggregate, objective, label));
  if (result.heatmap) parts.push(renderHeatmap(result.heatmap));
  const curves = result.equityCurves ?? [];
  if (curves.length > 0) parts.push(renderEquityCurves(curves));
  if (result.table) parts.push(`(full table of ${formatCount(result.table.length)} rows: quantgrid job ID --csv)`);
  return parts.join('\n');
}

// The CSV: shared/tasks/backtest/result-csv.ts (the dashboard serves the same).
export { backtestCsv } from '../../shared/tasks/backtest/result-csv.js';
