/** The columns of a backtest ranking: its parameters, then the metrics, formatted as the CLI's tables. */
import type { BacktestRowMetrics } from '../../shared/tasks/backtest/merge.js';
import type { Column } from '../components/data-table.js';
import { formatNumber, formatPercent } from '../format.js';

type MetricKey = keyof BacktestRowMetrics;

/** The metrics shown, in order, and how: ratios as numbers, returns and rates as percentages. */
const METRICS: Array<[MetricKey, string, 'ratio' | 'percent' | 'count']> = [
  ['sharpe', 'sharpe', 'ratio'],
  ['totalReturn', 'return', 'percent'],
  ['cagr', 'CAGR', 'percent'],
  ['maxDrawdown', 'max DD', 'percent'],
  ['volatility', 'volatility', 'percent'],
  ['sortino', 'sortino', 'ratio'],
  ['calmar', 'calmar', 'ratio'],
  ['trades', 'trades', 'count'],
  ['winRate', 'win rate', 'percent'],
  ['profitFactor', 'profit factor', 'ratio'],
  ['exposure', 'exposure', 'percent'],
];

export function metricColumns<Row extends BacktestRowMetrics>(): Column<Row>[] {
  return METRICS.map(([key, label, style]) => ({
    key,
    label,
    numeric: true,
    value: (row: Row) => row[key],
    render: (row: Row) => (style === 'percent' ? formatPercent(row[key]) : formatNumber(row[key], style === 'count' ? 0 : 3)),
  }));
}

export function paramColumns<Row extends { params: Record<string, number> | null }>(names: readonly string[]): Column<Row>[] {
  return names.map((name) => ({ key: `param:${name}`, label: name, numeric: true, value: (row: Row) => row.params?.[name], render: (row: Row) => formatNumber(row.params?.[name], 6) }));
}

/** The parameter names of rows, in the order of the first row that has them. */
export function paramNames(rows: ReadonlyArray<{ params: Record<string, number> | null }>): string[] {
  const names: string[] = [];
  for (const row of rows) for (const name of Object.keys(row.params ?? {})) if (!names.includes(name)) names.push(name);
  return names;
}

/** "fast=5 slow=20" */
export function paramsText(params: Record<string, number> | null | undefined): string {
  if (!params) return 'none';
  return Object.entries(params)
    .map(([name, value]) => `${name}=${formatNumber(value, 6)}`)
    .join(' ');
}
