import { formatCount, formatNumber, formatPercent, formatPrice, NONE } from './format.js';
import { renderKeyValueTable, renderTable, type Align } from './table.js';

/**
 * Job results (Job.result_json, parsed) as text tables. The shapes come from the task kinds:
 *   backtest:        { kind: 'backtest', strategy, timeframe, bars, evaluated, objective, constraints, excludedByConstraints,
 *                      top: [{ rank, symbol, params, sharpe, … }], perSymbol?, aggregate?, heatmap?, table? }
 *   market-analysis: { kind: 'market-analysis', rows: [{ asset, timeframe, close, indicators, signals, volumeProfile }] }
 *   noop:            { partitions, checksum }
 * Fields are read defensively: a missing or null number shows as '-', an unknown shape as indented JSON.
 */

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The parsed result_json; null when empty. Text that is not JSON is returned as a string. */
export function parseResultJson(resultJson: string): unknown {
  if (!resultJson) return null;
  try {
    return JSON.parse(resultJson) as unknown;
  } catch {
    return resultJson;
  }
}

// ---- backtest ----------------------------------------------------------------------------------

const METRIC_COLUMNS: ReadonlyArray<readonly [string, string, (value: unknown) => string]> = [
  ['sharpe', 'sharpe', (v) => formatNumber(v, 2)],
  ['totalReturn', 'return', (v) => formatPercent(v, 2)],
  ['cagr', 'CAGR', (v) => formatPercent(v, 2)],
  ['volatility', 'volatility', (v) => formatPercent(v, 2)],
  ['maxDrawdown', 'max DD', (v) => formatPercent(v, 2)],
  ['trades', 'trades', formatCount],
  ['winRate', 'win rate', (v) => formatPercent(v, 1)],
  ['exposure', 'exposure', (v) => formatPercent(v, 1)],
];

/** Objectives not among METRIC_COLUMNS get a column of their own (wire name → row key, label). */
const EXTRA_OBJECTIVE_COLUMNS: Readonly<Record<string, readonly [string, string, (value: unknown) => string]>> = {
  sortino: ['sortino', 'sortino', (v) => formatNumber(v, 2)],
  calmar: ['calmar', 'calmar', (v) => formatNumber(v, 2)],
  profit_factor: ['profitFactor', 'profit factor', (v) => formatNumber(v, 2)],
};

const OBJECTIVE_LABELS: Readonly<Record<string, string>> = {
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

function formatParam(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : formatNumber(value, 4);
  return value === undefined || value === null ? NONE : String(value);
}

function objectiveOf(result: Json): string {
  return typeof result.objective === 'string' && result.objective ? result.objective : 'sharpe';
}

function paramNamesOf(rows: readonly Json[]): string[] {
  const names: string[] = [];
  for (const row of rows) {
    for (const name of Object.keys(isObject(row.params) ? row.params : {})) if (!names.includes(name)) names.push(name);
  }
  return names;
}

function rankingTable(rows: readonly Json[], objective: string): string {
  const paramNames = paramNamesOf(rows);
  const extra = EXTRA_OBJECTIVE_COLUMNS[objective];
  const metrics = extra ? [extra, ...METRIC_COLUMNS] : METRIC_COLUMNS;
  const head = ['#', 'symbol', ...paramNames, ...metrics.map(([, label]) => label)];
  const align: Align[] = ['right', 'left', ...paramNames.map((): Align => 'right'), ...metrics.map((): Align => 'right')];
  const body = rows.map((row, index) => {
    const params = isObject(row.params) ? row.params : {};
    return [
      formatCount(row.rank ?? index + 1),
      String(row.symbol ?? NONE),
      ...paramNames.map((name) => formatParam(params[name])),
      ...metrics.map(([key, , format]) => format(row[key])),
    ];
  });
  return renderTable(head, body, align);
}

function constraintLine(result: Json): string | null {
  const constraints = asArray(result.constraints).filter(isObject);
  if (constraints.length === 0) return null;
  const text = constraints.map((c) => `${String(c.metric)} ${String(c.op)} ${String(c.value)}`).join(', ');
  return `constraints: ${text} (${formatCount(result.excludedByConstraints ?? 0)} rows excluded from the rankings)`;
}

function renderPerSymbol(perSymbol: Json, objective: string): string {
  const parts: string[] = [];
  for (const [symbol, value] of Object.entries(perSymbol)) {
    const rows = asArray(value).filter(isObject);
    const shown = rows.slice(0, PER_SYMBOL_ROWS);
    const more = rows.length > shown.length ? ` (first ${shown.length} of ${rows.length}; --json or --csv for all)` : '';
    parts.push(rows.length === 0 ? `${symbol}: (no rows met the constraints)` : `${symbol}: top ${rows.length}${more}\n${rankingTable(shown, objective)}`);
  }
  return parts.join('\n');
}

function renderAggregate(aggregate: Json, objective: string, label: string): string {
  if (aggregate.status !== 'computed') return `aggregate over symbols: skipped (${String(aggregate.reason ?? 'no reason given')})`;
  const rows = asArray(aggregate.top).filter(isObject);
  const title =
    `aggregate over symbols: ${formatCount(aggregate.combinations)} combinations ranked by mean ${label}` +
    (Number(aggregate.excludedByConstraints) > 0 ? `, ${formatCount(aggregate.excludedByConstraints)} excluded (a symbol missed a constraint)` : '');
  if (rows.length === 0) return `${title}\n(no results)`;
  const paramNames = paramNamesOf(rows);
  const symbols = Object.keys(isObject(rows[0].values) ? rows[0].values : {});
  const shownSymbols = symbols.length <= AGGREGATE_SYMBOL_COLUMNS ? symbols : [];
  const head = ['#', ...paramNames, `mean ${objective}`, ...shownSymbols];
  const align: Align[] = ['right', ...paramNames.map((): Align => 'right'), 'right', ...shownSymbols.map((): Align => 'right')];
  const body = rows.map((row, index) => {
    const params = isObject(row.params) ? row.params : {};
    const values = isObject(row.values) ? row.values : {};
    return [
      formatCount(row.rank ?? index + 1),
      ...paramNames.map((name) => formatParam(params[name])),
      formatNumber(row.mean, 3),
      ...shownSymbols.map((symbol) => formatNumber(values[symbol], 3)),
    ];
  });
  return `${title}\n${renderTable(head, body, align)}`;
}

/** The heatmap as text: one line per y value, one column per x value (numbers, or shades when wide). */
export function renderHeatmap(heatmap: Json): string {
  const xs = asArray(heatmap.xs);
  const ys = asArray(heatmap.ys);
  const values = asArray(heatmap.values).map(asArray);
  const x = String(heatmap.x ?? 'x');
  const y = String(heatmap.y ?? 'y');
  const of = heatmap.source === 'symbol' ? String(heatmap.symbol ?? NONE) : 'mean over symbols';
  const title = `heatmap of ${String(heatmap.objective ?? 'sharpe')} (${of}): rows ${y}, columns ${x}; '${NONE}' = none`;
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
  const shade = (v: unknown): string => {
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
export function sparkline(values: readonly unknown[]): string {
  const numbers = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (numbers.length === 0) return '';
  const picked = numbers.length <= SPARKLINE_WIDTH ? numbers : Array.from({ length: SPARKLINE_WIDTH }, (_, i) => numbers[Math.round((i * (numbers.length - 1)) / (SPARKLINE_WIDTH - 1))]);
  const min = Math.min(...picked);
  const max = Math.max(...picked);
  return picked.map((v) => SPARKS[max === min ? 0 : Math.round(((v - min) / (max - min)) * (SPARKS.length - 1))]).join('');
}

function renderEquityCurves(curves: readonly Json[]): string {
  const lines = [`equity curves of the best ${curves.length} (${formatCount(asArray(curves[0].equity).length)} points each; --json for the values)`];
  curves.forEach((curve, index) => {
    const params = isObject(curve.params) ? curve.params : {};
    const label = `#${index + 1} ${String(curve.symbol ?? NONE)} ${Object.entries(params).map(([name, value]) => `${name}=${formatParam(value)}`).join(' ')}`;
    const equity = asArray(curve.equity);
    lines.push(`${label}\n  ${sparkline(equity)} ${formatNumber(equity[equity.length - 1], 3)}`);
  });
  return lines.join('\n');
}

function renderWalkForward(walkForward: Json, objective: string): string {
  const title =
    `walk-forward: ${formatCount(walkForward.windows)} windows of ${formatCount(walkForward.inSampleBars)} in-sample + ` +
    `${formatCount(walkForward.outOfSampleBars)} out-of-sample bars (${walkForward.anchored === true ? 'anchored' : 'rolling'}); ` +
    `best in sample by ${objective}, traded out of sample on bars ${formatCount(walkForward.from)}–${formatCount(Number(walkForward.to) - 1)}`;
  const parts = [title];
  for (const own of asArray(walkForward.symbols).filter(isObject)) {
    const windows = asArray(own.windows).filter(isObject);
    const stitched = isObject(own.outOfSample) ? own.outOfSample : {};
    const equity = asArray(isObject(own.equity) ? own.equity.equity : []);
    parts.push(
      `${String(own.symbol ?? NONE)} out of sample (stitched): return ${formatPercent(stitched.totalReturn, 2)}, Sharpe ${formatNumber(stitched.sharpe, 2)}, ` +
        `max DD ${formatPercent(stitched.maxDrawdown, 2)}, trades ${formatCount(stitched.trades)}\n  ${sparkline(equity)}`,
    );
    const paramNames = paramNamesOf(windows.filter((w) => isObject(w.params)));
    const head = ['window', 'out-of-sample from', ...paramNames, `IS ${objective}`, 'OOS return', 'OOS sharpe', 'OOS max DD', 'OOS trades'];
    const align: Align[] = ['right', 'left', ...paramNames.map((): Align => 'right'), 'right', 'right', 'right', 'right', 'right'];
    const key = EXTRA_OBJECTIVE_COLUMNS[objective]?.[0] ?? (objective === 'total_return' ? 'totalReturn' : objective);
    const body = windows.map((w) => {
      const params = isObject(w.params) ? w.params : null;
      const inSample = isObject(w.inSampleMetrics) ? w.inSampleMetrics : {};
      const oos = isObject(w.outOfSampleMetrics) ? w.outOfSampleMetrics : {};
      const period = isObject(w.outOfSample) ? w.outOfSample : {};
      return [
        formatCount(w.window),
        String(period.fromTime ?? NONE),
        ...paramNames.map((name) => (params ? formatParam(params[name]) : NONE)),
        params ? formatNumber(inSample[key], 3) : '(none met the constraints)',
        formatPercent(oos.totalReturn, 2),
        formatNumber(oos.sharpe, 2),
        formatPercent(oos.maxDrawdown, 2),
        formatCount(oos.trades),
      ];
    });
    parts.push(renderTable(head, body, align));
  }
  if (isObject(walkForward.aggregate)) parts.push(`mean out-of-sample ${objective} over symbols: ${formatNumber(walkForward.aggregate.mean, 3)}`);
  return parts.join('\n');
}

export function renderBacktestResult(result: Json): string {
  const objective = objectiveOf(result);
  if (isObject(result.walkForward)) {
    const title = `backtest ${String(result.strategy ?? NONE)} on ${String(result.timeframe ?? NONE)} bars (${formatCount(result.bars)} bars per symbol): ${formatCount(result.evaluated)} in-sample backtests (symbols × combinations × windows)`;
    return [title, ...[constraintLine(result)].filter((line): line is string => line !== null), renderWalkForward(result.walkForward, objective)].join('\n');
  }
  const rows = asArray(result.top).filter(isObject);
  const label = OBJECTIVE_LABELS[objective] ?? objective;
  const title =
    `backtest ${String(result.strategy ?? NONE)} on ${String(result.timeframe ?? NONE)} bars ` +
    `(${formatCount(result.bars)} bars per symbol): ${formatCount(result.evaluated)} combinations evaluated, ` +
    `top ${rows.length} by ${label}`;
  const parts = [title];
  const constraints = constraintLine(result);
  if (constraints) parts.push(constraints);
  parts.push(rows.length === 0 ? '(no results)' : rankingTable(rows, objective));
  if (isObject(result.perSymbol)) parts.push(renderPerSymbol(result.perSymbol, objective));
  if (isObject(result.aggregate)) parts.push(renderAggregate(result.aggregate, objective, label));
  if (isObject(result.heatmap)) parts.push(renderHeatmap(result.heatmap));
  const curves = asArray(result.equityCurves).filter(isObject);
  if (curves.length > 0) parts.push(renderEquityCurves(curves));
  if (Array.isArray(result.table)) parts.push(`(full table of ${formatCount(result.table.length)} rows: quantgrid job ID --csv)`);
  return parts.join('\n');
}

// ---- CSV -----------------------------------------------------------------------------------------

const CSV_METRICS = [
  'sharpe', 'totalReturn', 'cagr', 'volatility', 'maxDrawdown', 'trades', 'winRate', 'exposure',
  'sortino', 'calmar', 'maxDrawdownDuration', 'profitFactor', 'avgTradeReturn',
] as const;

/** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break; null/undefined is empty. */
function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * A backtest result as CSV with a header line: the full table when the job kept one (columns symbol,
 * the parameters, the metrics, meetsConstraints), else the top rows (rank first). Numbers are
 * written in full (JavaScript's shortest round-trip form); an undefined metric is an empty field.
 */
export function backtestCsv(result: Json): string {
  const full = Array.isArray(result.table);
  const rows = asArray(full ? result.table : result.top).filter(isObject);
  const paramNames = paramNamesOf(rows);
  const head = [...(full ? [] : ['rank']), 'symbol', ...paramNames, ...CSV_METRICS, ...(full ? ['meetsConstraints'] : [])];
  const lines = [head.map(csvField).join(',')];
  for (const row of rows) {
    const params = isObject(row.params) ? row.params : {};
    const fields = [
      ...(full ? [] : [row.rank]),
      row.symbol,
      ...paramNames.map((name) => params[name]),
      ...CSV_METRICS.map((key) => row[key]),
      ...(full ? [row.meetsConstraints] : []),
    ];
    lines.push(fields.map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}

// ---- market analysis ---------------------------------------------------------------------------

/** The first finite number found at any of the given paths ('macd.histogram'). */
function pick(source: unknown, paths: readonly string[]): number | undefined {
  for (const path of paths) {
    let value: unknown = source;
    for (const key of path.split('.')) value = isObject(value) ? value[key] : undefined;
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return undefined;
}

/** Where the close sits in the Bollinger band: 0 = lower band, 1 = upper band (%B). */
function bollingerPosition(indicators: unknown, close: unknown): number | undefined {
  const given = pick(indicators, ['bollinger.percentB', 'bollinger.pctB', 'bollinger.position', 'bollingerPercentB', 'percentB']);
  if (given !== undefined) return given;
  const upper = pick(indicators, ['bollinger.upper', 'bollingerUpper']);
  const lower = pick(indicators, ['bollinger.lower', 'bollingerLower']);
  if (upper === undefined || lower === undefined || typeof close !== 'number' || upper === lower) return undefined;
  return (close - lower) / (upper - lower);
}

/** Signals as words: { rsi: 'overbought', macd: 'bullish' } → 'rsi overbought, macd bullish'. */
function signalWords(signals: unknown): string {
  if (Array.isArray(signals)) return signals.map(String).join(', ') || NONE;
  if (!isObject(signals)) return typeof signals === 'string' && signals ? signals : NONE;
  const words: string[] = [];
  for (const [name, value] of Object.entries(signals)) {
    if (value === true) words.push(name);
    else if (typeof value === 'string' && value) words.push(value.toLowerCase().includes(name.toLowerCase()) ? value : `${name} ${value}`);
    else if (typeof value === 'number') words.push(`${name} ${value}`);
    else if (Array.isArray(value) && value.length > 0) words.push(`${name} ${value.join('/')}`);
  }
  return words.join(', ') || NONE;
}

export function renderMarketAnalysisResult(result: Json): string {
  const rows = asArray(result.rows).filter(isObject);
  if (rows.length === 0) return 'market analysis\n(no rows)';
  const head = ['asset', 'timeframe', 'close', 'RSI', 'MACD hist', 'Bollinger %B', 'signals', 'POC'];
  const align: Align[] = ['left', 'left', 'right', 'right', 'right', 'right', 'left', 'right'];
  const body = rows.map((row) => {
    const indicators = row.indicators;
    return [
      String(row.asset ?? NONE),
      String(row.timeframe ?? NONE),
      formatPrice(row.close),
      formatNumber(pick(indicators, ['rsi', 'rsi.value', 'rsi.rsi']), 1),
      formatNumber(pick(indicators, ['macd.histogram', 'macd.hist', 'macdHistogram']), 4),
      formatNumber(bollingerPosition(indicators, row.close), 2),
      signalWords(row.signals),
      formatPrice(pick(row.volumeProfile, ['poc', 'poc.price', 'pointOfControl', 'pointOfControl.price', 'pocPrice'])),
    ];
  });
  const withSeries = rows.some((row) => row.series !== undefined);
  const note = withSeries ? '\n(full indicator series included: use --json to get them)' : '';
  return `market analysis: ${rows.length} asset × timeframe rows\n${renderTable(head, body, align)}${note}`;
}

// ---- noop ----------------------------------------------------------------------------------------

export function renderNoopResult(result: Json): string {
  const partitions = result.partitions;
  const checksum = result.checksum;
  const rows: Array<[string, string]> = [
    ['partitions', formatCount(partitions)],
    ['checksum', formatCount(checksum)],
  ];
  if (typeof partitions === 'number' && typeof checksum === 'number') {
    const expected = (partitions * (partitions - 1)) / 2;
    rows.push(['every partition once', checksum === expected ? 'yes' : `no (expected checksum ${expected})`]);
  }
  return `noop result\n${renderKeyValueTable(rows)}`;
}

/** Any result as text: a table for the known kinds, indented JSON otherwise. */
export function renderResult(result: unknown): string {
  if (result === null || result === undefined) return '(no result)';
  if (isObject(result)) {
    if (result.kind === 'backtest') return renderBacktestResult(result);
    if (result.kind === 'market-analysis') return renderMarketAnalysisResult(result);
    if ('partitions' in result && 'checksum' in result) return renderNoopResult(result);
  }
  return typeof result === 'string' ? result : JSON.stringify(result, null, 2);
}
