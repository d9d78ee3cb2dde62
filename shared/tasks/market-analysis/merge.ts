import type { MarketAnalysisRow } from './analyse.js';
import type { MarketAnalysisPartial } from './run.js';
import type { MarketAnalysisSpec } from './spec.js';

export interface MarketAnalysisResult {
  kind: 'market-analysis';
  rows: MarketAnalysisRow[];
}

/** Rows in unit order (asset-major, then timeframes as given), whatever the partitioning. */
export function mergeMarketAnalysis(_spec: MarketAnalysisSpec, partials: readonly MarketAnalysisPartial[]): MarketAnalysisResult {
  const ordered = [...partials].sort((a, b) => a.first - b.first);
  const rows: MarketAnalysisRow[] = [];
  for (const partial of ordered) for (const row of partial.rows) rows.push(row);
  return { kind: 'market-analysis', rows };
}
