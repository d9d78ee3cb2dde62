import { loadSeries } from '../../quant/dataset.js';
import type { Ohlcv } from '../../quant/ohlcv.js';
import { NO_WORK, type ContinuationContext, type PartitionWork } from '../continuation.js';
import type { RunContext } from '../task-kind.js';
import { analyseSeries, type MarketAnalysisRow } from './analyse.js';
import { continueUnit } from './continue.js';
import type { MarketAnalysisPartition } from './plan.js';
import type { MarketAnalysisSpec } from './spec.js';

/** A partition's rows in unit order, and where they start. */
export interface MarketAnalysisPartial {
  first: number;
  rows: MarketAnalysisRow[];
}

/**
 * A unit's row in a job that keeps checkpoints: from the checkpoint the coordinator sent when it is
 * this unit's on a prefix of the series (else computed in full, counted as rejected), leaving the
 * next one after the second-to-last bar. Not after the last: on a resampled timeframe (1h data
 * analysed at 4h) the last bar is a bucket that may still be filling, which bars appended to the
 * dataset change; every bar before it is a closed bucket (appended bars come after the last stored
 * one). So a re-run recomputes that bar and the new ones, on any timeframe.
 */
function continuedRow(spec: MarketAnalysisSpec, unit: number, series: Ohlcv, continuation: ContinuationContext): { row: MarketAnalysisRow; work: PartitionWork } {
  const n = series.close.length;
  const data = continuation.checkpoint(unit);
  if (n < 2) return { row: analyseSeries(series, spec.indicators, false), work: { ...NO_WORK, unitsRejected: data ? 1 : 0, unitsFull: 1, barsSimulated: n } };
  const { row, left, from } = continueUnit(series, spec.indicators, data);
  continuation.leave(unit, left);
  const work: PartitionWork = from > 0
    ? { ...NO_WORK, unitsContinued: 1, barsSimulated: n - from }
    : { ...NO_WORK, unitsRejected: data ? 1 : 0, unitsFull: 1, barsSimulated: n };
  return { row, work };
}

export function runMarketAnalysisPartition(
  spec: MarketAnalysisSpec,
  partition: MarketAnalysisPartition,
  context: RunContext,
): MarketAnalysisPartial {
  const perAsset = spec.timeframes.length;
  // Full series are every bar's values: computed in full (such a job keeps no checkpoints).
  const continuation = spec.includeSeries ? undefined : context.continuation;
  const rows: MarketAnalysisRow[] = [];
  for (let unit = partition.first; unit < partition.first + partition.count; unit++) {
    if (context.isCancelled()) break; // the answer of a cancelled partition is discarded
    const asset = spec.assets[Math.floor(unit / perAsset)];
    const timeframe = spec.timeframes[unit % perAsset];
    const series = loadSeries(spec.dataset, asset, timeframe);
    if (continuation) {
      const { row, work } = continuedRow(spec, unit, series, continuation);
      rows.push(row);
      continuation.count(work);
    } else {
      rows.push(analyseSeries(series, spec.indicators, spec.includeSeries));
    }
    context.reportProgress(rows.length / partition.count);
  }
  return { first: partition.first, rows };
}
