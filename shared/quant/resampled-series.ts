import { ohlcvBytes, type Ohlcv } from './ohlcv.js';
import { resample } from './resample.js';
import type { Timeframe } from './timeframes.js';

export interface ResampledMemoLimits {
  maxEntries: number;
  maxBytes: number;
}

/**
 * Resampled copies of installed datasets, per (dataset id, timeframe): a worker runs many
 * partitions over the same series, so each is resampled once. Bounded: the least recently used go
 * past `maxEntries` or `maxBytes` (the newest entry is always kept). Ids are content hashes, so an
 * entry stays right for as long as its id is installed.
 */
export class ResampledSeriesMemo {
  private readonly entries = new Map<string, { id: string; series: Ohlcv }>();
  private bytes = 0;

  constructor(private readonly limits: ResampledMemoLimits = { maxEntries: 8, maxBytes: 256 * 1024 * 1024 }) {}

  get size(): number {
    return this.entries.size;
  }

  /** `source` (dataset `id`) resampled to `timeframe`; the arrays are shared: do not modify them. */
  get(id: string, source: Ohlcv, timeframe: Timeframe): Ohlcv {
    const key = `${id}/${timeframe}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key); // Map order is the recency order
      this.entries.set(key, hit);
      return hit.series;
    }
    const series: Ohlcv = { symbol: source.symbol, timeframe, ...resample(source, timeframe) };
    this.entries.set(key, { id, series });
    this.bytes += ohlcvBytes(series);
    for (const [oldKey, old] of this.entries) {
      if (this.entries.size <= 1 || (this.entries.size <= this.limits.maxEntries && this.bytes <= this.limits.maxBytes)) break;
      this.drop(oldKey, old.series);
    }
    return series;
  }

  /** Drops the entries of every id not in `keep` (all of them by default). */
  forget(keep: ReadonlySet<string> = new Set()): void {
    for (const [key, entry] of this.entries) if (!keep.has(entry.id)) this.drop(key, entry.series);
  }

  private drop(key: string, series: Ohlcv): void {
    this.entries.delete(key);
    this.bytes -= ohlcvBytes(series);
  }
}
