import type { DatasetInfo__Output } from '../../shared/generated/quantgrid/v1/DatasetInfo.js';
import { formatBytes, formatCount, formatTimestamp } from './format.js';
import { renderKeyValueTable, renderTable } from './table.js';

/** A bar time in UTC: '2024-01-31 23:00'. */
export function formatBarTime(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

export function renderDatasetsTable(datasets: readonly DatasetInfo__Output[]): string {
  return renderTable(
    ['id', 'symbol', 'tf', 'bars', 'first (UTC)', 'last (UTC)', 'size', 'imported'],
    datasets.map((d) => [
      `sha256:${d.id.slice(0, 12)}`,
      d.symbol,
      d.timeframe,
      formatCount(d.bars),
      formatBarTime(d.firstTimeMs),
      formatBarTime(d.lastTimeMs),
      formatBytes(Number(d.bytes)),
      formatTimestamp(d.importedAtMs),
    ]),
    ['left', 'left', 'left', 'right', 'left', 'left', 'right', 'left'],
  );
}

export function renderDatasetDetails(d: DatasetInfo__Output): string {
  return renderKeyValueTable([
    ['dataset', `sha256:${d.id}`],
    ['symbol', d.symbol],
    ['timeframe', d.timeframe],
    ['bars', formatCount(d.bars)],
    ['first bar (UTC)', formatBarTime(d.firstTimeMs)],
    ['last bar (UTC)', formatBarTime(d.lastTimeMs)],
    ['size', formatBytes(Number(d.bytes))],
    ['imported', formatTimestamp(d.importedAtMs)],
  ]);
}
