import type { JobRunTimes } from './straggler-rule.js';

/**
 * One job's partition run times as the straggler rule reads them: how many partitions were
 * dispatched, and the median of those that finished. The median is computed again only when asked
 * after a new time came in (at most once per straggler check), not on every finish.
 */
export class RunTimes implements JobRunTimes {
  total = 0;
  private readonly times: number[] = [];
  private cachedMedian = 0;
  private sortedCount = 0;

  get finished(): number {
    return this.times.length;
  }

  record(ms: number): void {
    this.times.push(ms);
  }

  get medianMs(): number {
    if (this.sortedCount !== this.times.length) {
      this.times.sort((a, b) => a - b);
      this.sortedCount = this.times.length;
      this.cachedMedian = medianOfSorted(this.times);
    }
    return this.cachedMedian;
  }
}

/** The median of ascending numbers (the mean of the middle two for an even count; 0 for none). */
export function medianOfSorted(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const middle = n >> 1;
  return n % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
