import type { BacktestResult, BacktestTopRow } from './merge.js';
import { METRIC_KEYS, type MetricKey } from './objective.js';

/**
 * A backtest's result as CSV (what `quantgrid job ID --csv` prints and the dashboard's result.csv
 * serves). Pure, no Node imports.
 */

/** The parameter names of rows, in the order they first appear. */
export function paramNamesOf(rows: ReadonlyArray<{ params: Record<string, number> | null }>): string[] {
  const names: string[] = [];
  for (const row of rows) for (const name of Object.keys(row.params ?? {})) if (!names.includes(name)) names.push(name);
  return names;
}

/** Every metric, in the kind's order. */
const CSV_METRICS: readonly MetricKey[] = Object.values(METRIC_KEYS);

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
export function backtestCsv(result: BacktestResult): string {
  const full = result.table !== undefined;
  const rows: ReadonlyArray<Partial<BacktestTopRow> & { params: Record<string, number>; meetsConstraints?: boolean }> = result.table ?? result.top;
  const paramNames = paramNamesOf(rows);
  const head = [...(full ? [] : ['rank']), 'symbol', ...paramNames, ...CSV_METRICS, ...(full ? ['meetsConstraints'] : [])];
  const lines = [head.map(csvField).join(',')];
  for (const row of rows) {
    const fields = [
      ...(full ? [] : [row.rank]),
      row.symbol,
      ...paramNames.map((name) => row.params[name]),
      ...CSV_METRICS.map((key) => row[key]),
      ...(full ? [row.meetsConstraints] : []),
    ];
    lines.push(fields.map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}
