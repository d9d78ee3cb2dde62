/**
 * Resampling OHLCV bars to a coarser timeframe, with the usual rules: a bucket's open is its first
 * bar's open, high the highest high, low the lowest low, close the last bar's close, volume the sum.
 * Buckets are aligned in UTC: minutes and hours to multiples of their length since the epoch, days
 * to midnight, weeks to Monday 00:00, months to the first day of the calendar month. A bucket's
 * time is its start, even when the first bars of the bucket are missing (a partial bucket is kept).
 * Pure; O(n); one pass.
 */

import { DAY_MS, TIMEFRAMES, timeframeMs, WEEK_MS, type Timeframe } from './timeframes.js';

/** Every timeframe is a resampling target (which source timeframes fit: isResampleableTo). */
export const RESAMPLE_TARGETS = TIMEFRAMES;
export type ResampleTarget = Timeframe;

export interface OhlcvColumns {
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
}

/** 1970-01-01 was a Thursday: Monday 1970-01-05 starts the first whole week. */
const FIRST_MONDAY_MS = 4 * DAY_MS;

/** Columns for n bars, zeroed. */
export function allocateColumns(n: number): OhlcvColumns {
  return {
    time: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n),
  };
}

export function isResampleTarget(value: unknown): value is ResampleTarget {
  return typeof value === 'string' && (RESAMPLE_TARGETS as readonly string[]).includes(value);
}

function floorTo(timeMs: number, stepMs: number, originMs = 0): number {
  return originMs + Math.floor((timeMs - originMs) / stepMs) * stepMs;
}

/** Start (UTC, ms) of the bucket of `target` that contains timeMs. */
export function bucketStart(timeMs: number, target: ResampleTarget): number {
  if (target === '1M') {
    const date = new Date(timeMs);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  }
  if (target === '1w') return floorTo(timeMs, WEEK_MS, FIRST_MONDAY_MS);
  return floorTo(timeMs, timeframeMs(target));
}

/** How many `target` buckets bars at these (ascending) times fill: the length resample() returns. */
export function countBuckets(time: ArrayLike<number>, target: ResampleTarget): number {
  let buckets = 0;
  let current = Number.NaN;
  for (let i = 0; i < time.length; i++) {
    const start = bucketStart(time[i], target);
    if (start !== current) {
      current = start;
      buckets++;
    }
  }
  return buckets;
}

/** Resamples bars sorted by strictly ascending time into `target` buckets; throws RangeError otherwise. */
export function resample(bars: OhlcvColumns, target: ResampleTarget): OhlcvColumns {
  const n = bars.time.length;
  // Upper bound on buckets is n; trimmed at the end.
  const out = allocateColumns(n);
  let buckets = 0;
  let current = Number.NaN;
  for (let i = 0; i < n; i++) {
    if (i > 0 && !(bars.time[i] > bars.time[i - 1])) throw new RangeError(`bars are not sorted by time at index ${i}`);
    const start = bucketStart(bars.time[i], target);
    if (start !== current) {
      current = start;
      out.time[buckets] = start;
      out.open[buckets] = bars.open[i];
      out.high[buckets] = bars.high[i];
      out.low[buckets] = bars.low[i];
      out.close[buckets] = bars.close[i];
      out.volume[buckets] = bars.volume[i];
      buckets++;
    } else {
      const b = buckets - 1;
      if (bars.high[i] > out.high[b]) out.high[b] = bars.high[i];
      if (bars.low[i] < out.low[b]) out.low[b] = bars.low[i];
      out.close[b] = bars.close[i];
      out.volume[b] += bars.volume[i];
    }
  }
  return {
    time: out.time.slice(0, buckets),
    open: out.open.slice(0, buckets),
    high: out.high.slice(0, buckets),
    low: out.low.slice(0, buckets),
    close: out.close.slice(0, buckets),
    volume: out.volume.slice(0, buckets),
  };
}
