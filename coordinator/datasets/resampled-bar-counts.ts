import { countBuckets } from '../../shared/quant/resample.js';
import type { Timeframe } from '../../shared/quant/timeframes.js';

/** The open times of a stored dataset's bars (undefined: no such dataset). */
export type DatasetTimesLoader = (id: string) => Promise<Float64Array | undefined>;

/**
 * How many bars a stored dataset has once resampled to a coarser timeframe, counted from its
 * timestamps. Datasets are immutable (content-addressed), so a count never goes stale: counts are
 * kept per (id, timeframe), the least recently used dropped past `maxEntries`; concurrent requests
 * for one count share one load.
 */
export class ResampledBarCounts {
  private readonly counts = new Map<string, number>();
  private readonly pending = new Map<string, Promise<number>>();

  constructor(
    private readonly loadTimes: DatasetTimesLoader,
    private readonly maxEntries = 4096,
  ) {}

  get size(): number {
    return this.counts.size;
  }

  /** The count; rejects when the dataset does not exist. */
  get(id: string, timeframe: Timeframe): Promise<number> {
    const key = `${id}/${timeframe}`;
    const known = this.counts.get(key);
    if (known !== undefined) {
      this.counts.delete(key); // Map order is the recency order
      this.counts.set(key, known);
      return Promise.resolve(known);
    }
    const running = this.pending.get(key);
    if (running) return running;
    const load = this.count(id, timeframe)
      .then((count) => {
        this.counts.set(key, count);
        for (const oldest of this.counts.keys()) {
          if (this.counts.size <= this.maxEntries) break;
          this.counts.delete(oldest);
        }
        return count;
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, load);
    return load;
  }

  private async count(id: string, timeframe: Timeframe): Promise<number> {
    const time = await this.loadTimes(id);
    if (!time) throw new Error(`no dataset ${id}`);
    return countBuckets(time, timeframe);
  }
}
