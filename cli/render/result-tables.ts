import { formatCount, formatNumber, formatPercent, formatPrice, NONE } from './format.js';
import { renderKeyValueTable, renderTable, type Align } from './table.js';

/**
 * Job results (Job.result_json, parsed) as text tables. The shapes come from the task kinds:
 *   backtest:        { kind: 'backtest', strategy, timeframe, bars, evaluated, top: [{ rank, symbol, params, sharpe, … }] }
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

function formatParam(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : formatNumber(value, 4);
  return value === undefined || value === null ? NONE : String(value);
}

export function renderBacktestResult(result: Json): string {
  const rows = asArray(result.top).filter(isObject);
  const paramNames: string[] = [];
  for (const row of rows) {
    for (const name of Object.keys(isObject(row.params) ? row.params : {})) {
      if (!paramNames.includes(name)) paramNames.push(name);
    }
  }
  const title =
    `backtest ${String(result.strategy ?? NONE)} on ${String(result.timeframe ?? NONE)} bars ` +
    `(${formatCount(result.bars)} bars per symbol): ${formatCount(result.evaluated)} combinations evaluated, ` +
    `top ${rows.length} by Sharpe ratio`;
  if (rows.length === 0) return `${title}\n(no results)`;
  const head = ['#', 'symbol', ...paramNames, ...METRIC_COLUMNS.map(([, label]) => label)];
  const align: Align[] = ['right', 'left', ...paramNames.map((): Align => 'right'), ...METRIC_COLUMNS.map((): Align => 'right')];
  const body = rows.map((row, index) => {
    const params = isObject(row.params) ? row.params : {};
    return [
      formatCount(row.rank ?? index + 1),
      String(row.symbol ?? NONE),
      ...paramNames.map((name) => formatParam(params[name])),
      ...METRIC_COLUMNS.map(([key, , format]) => format(row[key])),
    ];
  });
  return `${title}\n${renderTable(head, body, align)}`;
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
