import { countBuckets } from '../../shared/quant/resample.js';
import type { DaysPerYear, Timeframe } from '../../shared/quant/timeframes.js';
import { autoYearDays } from '../../shared/quant/year-days.js';

/** The open times of a stored dataset's bars (undefined: no such dataset). */
export type DatasetTimesLoader = (id: string) => Promise<Float64Array | undefined>;

/**
 * What submissions need to know of a stored dataset that only its timestamps tell: how many bars it
 * has once resampled to a coarser timeframe, and the days per year `year_days: auto` resolves to
 * (autoYearDays). Datasets are immutable (content-addressed), so a fact never goes stale: facts are
 * kept per (id, question), the least recently used dropped past `maxEntries`; concurrent requests
 * for one fact share one load.
 */
export class DatasetTimeFacts {
  private readonly facts = new Map<string, number>();
  private readonly pending = new Map<string, Promise<number>>();

  constructor(
    private readonly loadTimes: DatasetTimesLoader,
    private readonly maxEntries = 4096,
  ) {}

  get size(): number {
    return this.facts.size;
  }

  /** The bar count at `timeframe`; rejects when the dataset does not exist. */
  resampledBars(id: string, timeframe: Timeframe): Promise<number> {
    return this.get(`${id}/${timeframe}`, id, (time) => countBuckets(time, timeframe));
  }

  /** The days per year of the dataset's bars (stored at `timeframe`, its own); rejects when it does not exist. */
  yearDays(id: string, timeframe: Timeframe): Promise<DaysPerYear> {
    return this.get(`${id}/year-days`, id, (time) => autoYearDays(time, timeframe)) as Promise<DaysPerYear>;
  }

  private get(key: string, id: string, derive: (time: Float64Array) => number): Promise<number> {
    const known = this.facts.get(key);
    if (known !== undefined) {
      this.facts.delete(key); // Map order is the recency order
      this.facts.set(key, known);
      return Promise.resolve(known);
    }
    const running = this.pending.get(key);
    if (running) return running;
    const load = this.loadTimes(id)
      .then((time) => {
        if (!time) throw new Error(`no dataset ${id}`);
        const fact = derive(time);
        this.facts.set(key, fact);
        for (const oldest of this.facts.keys()) {
          if (this.facts.size <= this.maxEntries) break;
          this.facts.delete(oldest);
        }
        return fact;
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, load);
    return load;
  }
}
