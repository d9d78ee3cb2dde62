import { loadSeries } from '../../quant/dataset.js';
import type { RunContext } from '../task-kind.js';
import { analyseSeries, type MarketAnalysisRow } from './analyse.js';
import type { MarketAnalysisPartition } from './plan.js';
import type { MarketAnalysisSpec } from './spec.js';

/** A partition's rows in unit order, and where they start. */
export interface MarketAnalysisPartial {
  first: number;
  rows: MarketAnalysisRow[];
}

export function runMarketAnalysisPartition(
  spec: MarketAnalysisSpec,
  partition: MarketAnalysisPartition,
  context: RunContext,
): MarketAnalysisPartial {
  const perAsset = spec.timeframes.length;
  const rows: MarketAnalysisRow[] = [];
  for (let unit = partition.first; unit < partition.first + partition.count; unit++) {
    if (context.isCancelled()) break; // the answer of a cancelled partition is discarded
    const asset = spec.assets[Math.floor(unit / perAsset)];
    const timeframe = spec.timeframes[unit % perAsset];
    const series = loadSeries(spec.dataset, asset, timeframe);
    rows.push(analyseSeries(series, spec.indicators, spec.includeSeries));
    context.reportProgress(rows.length / partition.count);
  }
  return { first: partition.first, rows };
}
