import type { DatasetInfo__Output } from '../../shared/generated/quantgrid/v1/DatasetInfo.js';
import { formatBytes, formatCount, formatTimestamp } from './format.js';
import { renderKeyValueTable, renderTable } from './table.js';

/** A bar time in UTC: '2024-01-31 23:00'. */
export function formatBarTime(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** Where a version comes from: "import", or "+N on sha256:<parent>". */
export function formatLineage(d: Pick<DatasetInfo__Output, 'parentId' | 'appendedBars'>): string {
  return d.parentId ? `+${formatCount(d.appendedBars)} on sha256:${d.parentId.slice(0, 12)}` : 'import';
}

export function renderDatasetsTable(datasets: readonly DatasetInfo__Output[]): string {
  return renderTable(
    ['id', 'tags', 'symbol', 'tf', 'bars', 'first (UTC)', 'last (UTC)', 'size', 'imported', 'lineage'],
    datasets.map((d) => [
      `sha256:${d.id.slice(0, 12)}`,
      d.tags.join(',') || '-',
      d.symbol,
      d.timeframe,
      formatCount(d.bars),
      formatBarTime(d.firstTimeMs),
      formatBarTime(d.lastTimeMs),
      formatBytes(Number(d.bytes)),
      formatTimestamp(d.importedAtMs),
      formatLineage(d),
    ]),
    ['left', 'left', 'left', 'left', 'right', 'left', 'left', 'right', 'left', 'left'],
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
    ...(d.parentId ? ([['extends', `sha256:${d.parentId} (its ${formatCount(d.parentBars)} bars, then ${formatCount(d.appendedBars)} new)`]] as Array<[string, string]>) : []),
    ...(d.tags.length > 0 ? ([['tags', d.tags.join(', ')]] as Array<[string, string]>) : []),
  ]);
}
