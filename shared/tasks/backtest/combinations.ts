/**
 * The parameter sweep of sma-crossover: fast and slow periods as inclusive integer ranges,
 * combined fast-major (fast ascending, then slow ascending), keeping only fast < slow.
 * Combination k of the sweep is located without enumerating the ones before it.
 */
export interface IntRange {
  start: number;
  stop: number;
  /** ≥ 1 (a single value has step 1). */
  step: number;
}

/** Number of values start, start+step, … ≤ stop. */
export function rangeCount(range: IntRange): number {
  return Math.floor((range.stop - range.start) / range.step) + 1;
}

export function rangeLast(range: IntRange): number {
  return range.start + (rangeCount(range) - 1) * range.step;
}

export interface CombinationTable {
  readonly slow: IntRange;
  readonly slowCount: number;
  /** Fast values that have at least one slow value above them, ascending. */
  readonly fastValues: Int32Array;
  /** Index (in the slow range) of the first slow value above fastValues[i]. */
  readonly firstSlowIndex: Int32Array;
  /** offsets[i] = index of the first combination with fastValues[i]; offsets[m] = total. */
  readonly offsets: Float64Array;
  readonly total: number;
}

/** O(number of usable fast values), which is below the largest slow period. */
export function combinationTable(fast: IntRange, slow: IntRange): CombinationTable {
  const slowCount = rangeCount(slow);
  const slowLast = rangeLast(slow);
  const fastCount = rangeCount(fast);
  const usable = Math.max(0, Math.min(fastCount, Math.ceil((slowLast - fast.start) / fast.step)));
  const fastValues = new Int32Array(usable);
  const firstSlowIndex = new Int32Array(usable);
  const offsets = new Float64Array(usable + 1);
  let total = 0;
  for (let i = 0; i < usable; i++) {
    const value = fast.start + i * fast.step;
    const first = value < slow.start ? 0 : Math.floor((value - slow.start) / slow.step) + 1;
    fastValues[i] = value;
    firstSlowIndex[i] = first;
    offsets[i] = total;
    total += slowCount - first;
  }
  offsets[usable] = total;
  return { slow, slowCount, fastValues, firstSlowIndex, offsets, total };
}

/**
 * Walks the combinations from index k onwards: read fast/slow, then next().
 * Allocation-free after construction.
 */
export class CombinationCursor {
  fast = 0;
  slow = 0;
  private fastIndex = 0;
  private slowIndex = 0;

  constructor(
    private readonly table: CombinationTable,
    k: number,
  ) {
    if (!(k >= 0 && k < table.total)) throw new RangeError(`combination ${k} out of 0..${table.total - 1}`);
    const { offsets } = table;
    let lo = 0;
    let hi = table.fastValues.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (offsets[mid] <= k) lo = mid;
      else hi = mid - 1;
    }
    this.fastIndex = lo;
    this.slowIndex = table.firstSlowIndex[lo] + (k - offsets[lo]);
    this.load();
  }

  next(): void {
    const table = this.table;
    if (++this.slowIndex >= table.slowCount) {
      this.fastIndex++;
      if (this.fastIndex >= table.fastValues.length) return; // past the end; values stay stale
      this.slowIndex = table.firstSlowIndex[this.fastIndex];
    }
    this.load();
  }

  private load(): void {
    this.fast = this.table.fastValues[this.fastIndex];
    this.slow = this.table.slow.start + this.slowIndex * this.table.slow.step;
  }
}
