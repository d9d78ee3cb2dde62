import { atr } from '../indicators/atr.js';
import { bollinger } from '../indicators/bollinger.js';
import { ema, emaErrorBound } from '../indicators/ema.js';
import { macdBounds, type MacdArrays } from '../indicators/macd.js';
import { rsi } from '../indicators/rsi.js';
import { sma } from '../indicators/sma.js';
import { tickGrid, type TickGrid } from '../indicators/tick-grid.js';

const MIB = 1024 * 1024;
/** Budget of a cache when its thread has none configured (setIndicatorCacheBudget) and the caller gives none. */
export const DEFAULT_INDICATOR_CACHE_BYTES = 128 * MIB;
/** Entries always kept whatever the budget: more than any one combination needs at once. */
const MIN_ENTRIES = 8;
/** Most entries (bounds the cost of choosing what to evict, for short series). */
const MAX_ENTRIES = 1024;
/** Keys whose use history is remembered, cached or not (a few dozen bytes each). */
const HISTORY_KEYS = 4096;
/**
 * An entry counts as finished with (dead) once it has gone unused for longer than twice its last
 * reuse interval plus this many lookups.
 */
const DEAD_SLACK = 16;

/**
 * Full-length SMA arrays evicted from this thread's caches, kept to be written over by a later SMA of
 * the same length instead of allocating one (a fresh 8 MB array of a 1M-bar series costs its page
 * faults, about as much as computing the SMA). Each is tagged with the partitions this thread had
 * ended when it was evicted: an evicted array may still be read by whoever looked it up (a signal pass
 * of the partition running), so it is reused only once that partition has ended
 * (indicatorArraysReleased()). A thread that never says so never reuses one.
 */
const retired: Array<{ array: Float64Array; epoch: number }> = [];
/** The most arrays kept for reuse (a partition of a sweep needs a few new SMAs: its fast periods). */
const MAX_RETIRED = 8;
/** Partitions this thread has ended (indicatorArraysReleased). */
let releaseEpoch = 0;

/**
 * Says that nothing outside this thread's indicator caches still reads an array they evicted: the
 * node agent's worker calls it after each partition (one at a time, run to the end), so the SMA
 * arrays evicted so far may be reused.
 */
export function indicatorArraysReleased(): void {
  releaseEpoch++;
}

function retire(array: Float64Array): void {
  if (retired.length >= MAX_RETIRED) retired.shift();
  retired.push({ array, epoch: releaseEpoch });
}

/** An evicted array of `length` elements nobody reads any more, to overwrite (undefined: none). */
function reusable(length: number): Float64Array | undefined {
  for (let i = retired.length - 1; i >= 0; i--) {
    const r = retired[i];
    if (r.epoch < releaseEpoch && r.array.length === length) {
      retired.splice(i, 1);
      return r.array;
    }
  }
  return undefined;
}

let threadBudgetBytes: number | undefined;
let threadGrowToBytes: number | undefined;

/**
 * Caps the budget of every IndicatorCache this thread creates from now on (undefined: no cap,
 * DEFAULT_INDICATOR_CACHE_BYTES when the caller gives no budget). The node agent sets it in each
 * worker thread to its share of the agent's indicator-cache budget (--indicator-cache-mb), so the
 * agent's memory does not grow with its slots or with the number of combinations of a sweep.
 *
 * `growToBytes` (the agent's default budget only: its share of indicatorCacheGrowBytes, from the
 * machine's memory): a cache of this thread may grow past its budget, up to this, instead of
 * evicting an entry the job still comes back to (a sweep whose arrays do not fit: 61 SMA arrays of
 * 1M bars need 488 MB), so the job's working set decides how much of it is used. Dead entries are
 * still evicted first, and nothing grows while they are there.
 */
export function setIndicatorCacheBudget(bytes: number | undefined, growToBytes?: number): void {
  if (bytes !== undefined && !(Number.isFinite(bytes) && bytes >= 0)) throw new RangeError(`indicator cache budget must be a number of bytes ≥ 0, got ${bytes}`);
  if (growToBytes !== undefined && !(Number.isFinite(growToBytes) && growToBytes >= 0)) throw new RangeError(`indicator cache growth limit must be a number of bytes ≥ 0, got ${growToBytes}`);
  threadBudgetBytes = bytes;
  threadGrowToBytes = growToBytes;
}

/** The budget a cache created now gets when its caller asks for `requested` bytes (or none). */
export function effectiveIndicatorCacheBudget(requested?: number): number {
  const wanted = requested ?? threadBudgetBytes ?? DEFAULT_INDICATOR_CACHE_BYTES;
  return threadBudgetBytes === undefined ? wanted : Math.min(wanted, threadBudgetBytes);
}

/** When a key was last looked up (counted in lookups of its cache) and how long before that (0: once only). */
interface Use {
  last: number;
  interval: number;
}

interface Entry {
  value: Float64Array[];
  bytes: number;
  use: Use;
  /** Its one array is only ever this entry's (a whole-series SMA): once evicted, it may be written over (retire). */
  reusable: boolean;
}

function isDead(use: Use, now: number): boolean {
  return now - use.last > 2 * (use.interval > 0 ? use.interval : 1) + DEAD_SLACK;
}

/** Lookups of every IndicatorCache of this thread since it started (the agent's metrics add up its threads). */
export interface IndicatorCacheTotals {
  hits: number;
  misses: number;
  /** Bytes of indicator arrays computed on misses. */
  computedBytes: number;
}

const threadTotals: IndicatorCacheTotals = { hits: 0, misses: 0, computedBytes: 0 };

export function indicatorCacheTotals(): IndicatorCacheTotals {
  return { ...threadTotals };
}

export interface IndicatorCacheStats {
  entries: number;
  bytes: number;
  budgetBytes: number;
  hits: number;
  /** Lookups that computed their arrays. */
  misses: number;
  evictions: number;
}

/**
 * Indicator arrays of one series, computed once per (indicator, parameters) and shared by every
 * combination of a sweep. Bounded by a byte budget (at most the thread's cap, see
 * setIndicatorCacheBudget); evicted entries are dropped, so an array a caller still holds stays
 * valid (a whole-series SMA's is written over again only once the partition that could read it has
 * ended: indicatorArraysReleased). A recomputed array is bit-identical, so the budget never changes
 * results.
 *
 * Eviction predicts each key's next use from its last reuse interval (remembered for evicted keys
 * too): first out are dead entries (unused for well over their interval, such as the arrays of a
 * parameter value a sweep has moved past), then the entry whose next use is furthest away. When
 * the arrays a sweep keeps coming back to fit, only finished ones are dropped; when they do not, it
 * degrades gracefully where LRU collapses (LRU evicts each array of the cycle just before its turn
 * comes again and misses every time; here the arrays that stay cached keep hitting).
 */
export class IndicatorCache {
  /** The byte budget (may grow up to growToBytes, see setIndicatorCacheBudget). */
  budgetBytes: number;
  /** How far the budget may grow instead of evicting a live entry (its initial budget: never grows). */
  readonly growToBytes: number;
  /** Cached arrays, least recently used first. */
  private readonly entries = new Map<string, Entry>();
  /** Use of recently looked-up keys, cached or not, least recently used first. */
  private readonly uses = new Map<string, Use>();
  private bytes = 0;
  private clock = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  /** The closes' tick grid (null: none), detected on first use. */
  private grid: TickGrid | null | undefined;

  /** `budgetBytes`: defaults to the thread's budget, and is capped by it. */
  constructor(
    readonly series: { readonly open: Float64Array; readonly high: Float64Array; readonly low: Float64Array; readonly close: Float64Array },
    budgetBytes?: number,
  ) {
    this.budgetBytes = effectiveIndicatorCacheBudget(budgetBytes);
    this.growToBytes = Math.max(this.budgetBytes, budgetBytes === undefined ? (threadGrowToBytes ?? 0) : 0);
  }

  private get(key: string, compute: () => Float64Array[], reusable = false): Float64Array[] {
    const now = ++this.clock;
    let use = this.uses.get(key);
    if (use) {
      this.uses.delete(key);
      use.interval = now - use.last;
      use.last = now;
    } else {
      use = { last: now, interval: 0 };
      if (this.uses.size >= HISTORY_KEYS) this.uses.delete(this.uses.keys().next().value as string);
    }
    this.uses.set(key, use);

    const cached = this.entries.get(key);
    if (cached) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      cached.use = use;
      this.hits++;
      threadTotals.hits++;
      return cached.value;
    }
    this.misses++;
    threadTotals.misses++;
    const value = compute();
    const bytes = value.reduce((total, array) => total + array.byteLength, 0);
    threadTotals.computedBytes += bytes;
    while (this.entries.size >= MIN_ENTRIES && (this.bytes + bytes > this.budgetBytes || this.entries.size >= MAX_ENTRIES)) {
      if (this.entries.size < MAX_ENTRIES && this.bytes + bytes <= this.growToBytes && !this.anyDead()) {
        this.budgetBytes = this.bytes + bytes; // the job still reads all of them: grow rather than thrash
        break;
      }
      this.evict();
    }
    this.entries.set(key, { value, bytes, use, reusable });
    this.bytes += bytes;
    return value;
  }

  /** Whether any entry is dead (finished with: evicted before the budget grows). */
  private anyDead(): boolean {
    for (const entry of this.entries.values()) if (isDead(entry.use, this.clock)) return true;
    return false;
  }

  /** Drops the dead entry unused longest, else the entry whose predicted next use is furthest away. */
  private evict(): void {
    const now = this.clock;
    // Entries are in recency order: when the least recently used is dead, no dead one has been idle longer.
    let [victim, entry] = this.entries.entries().next().value as [string, Entry];
    if (!isDead(entry.use, now)) {
      let victimDead = false;
      let victimScore = -Infinity;
      for (const [key, candidate] of this.entries) {
        const use = candidate.use;
        const dead = isDead(use, now);
        const score = dead ? now - use.last : use.last + (use.interval > 0 ? use.interval : 1);
        if ((dead && !victimDead) || (dead === victimDead && score > victimScore)) {
          victim = key;
          entry = candidate;
          victimDead = dead;
          victimScore = score;
        }
      }
    }
    this.entries.delete(victim);
    this.bytes -= entry.bytes;
    if (entry.reusable) retire(entry.value[0]);
    this.evictions++;
  }

  get stats(): IndicatorCacheStats {
    return { entries: this.entries.size, bytes: this.bytes, budgetBytes: this.budgetBytes, hits: this.hits, misses: this.misses, evictions: this.evictions };
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The decimal tick grid of the closes (see tick-grid.ts), or undefined off the grid. Detected
   * once per series and kept outside the byte budget (one array as long as the series).
   */
  closeGrid(): TickGrid | undefined {
    if (this.grid === undefined) this.grid = tickGrid(this.series.close) ?? null;
    return this.grid ?? undefined;
  }

  /**
   * SMA of the closes (exact window sums on the closes' tick grid, see sma()). With `from` (an
   * incremental re-run), only the values at bars ≥ from are needed: an array holding just those
   * (the bars before not computed: read none of them), O(bars − from + period) instead of
   * O(bars), unless the whole one is cached.
   */
  sma(period: number, from = 0): Float64Array {
    if (from > 0 && !this.entries.has(`sma:${period}`)) {
      return this.get(`sma:${period}@${from}`, () => [sma(this.series.close, period, undefined, this.closeGrid() ?? null, from)])[0];
    }
    return this.get(`sma:${period}`, () => [sma(this.series.close, period, reusable(this.series.close.length), this.closeGrid() ?? null)], true)[0];
  }

  /** EMA of the closes (seeded with the mean of the first `period` closes; exactly rounded on the tick grid). */
  ema(period: number): Float64Array {
    return this.get(`ema:${period}`, () => [ema(this.series.close, period, undefined, this.closeGrid() ?? null)])[0];
  }

  /** emaErrorBound of ema(period): how far its values can be from the exact EMA of the closes' decimals. */
  emaBound(period: number): number {
    return this.get(`emabound:${period}`, () => [Float64Array.of(emaErrorBound(this.series.close, period, this.ema(period)))])[0][0];
  }

  /** Wilder RSI of the closes. */
  rsi(period: number): Float64Array {
    return this.get(`rsi:${period}`, () => [rsi(this.series.close, period)])[0];
  }

  /** Wilder's average true range of the bars. */
  atr(period: number): Float64Array {
    return this.get(`atr:${period}`, () => [atr(this.series.high, this.series.low, this.series.close, period)])[0];
  }

  /** Bollinger bands of the closes: [middle, upper, lower] (middle = sma(period) on the tick grid). */
  bollinger(period: number, k: number): Float64Array[] {
    return this.get(`bb:${period}:${k}`, () => {
      const bands = bollinger(this.series.close, period, k, this.closeGrid() ?? null);
      return [bands.middle, bands.upper, bands.lower];
    });
  }

  /** MACD line EMA(fast) − EMA(slow) and its signal line EMA(signal) of the line: [line, signal]. */
  macd(fast: number, slow: number, signal: number): Float64Array[] {
    return this.get(`macd:${fast}:${slow}:${signal}`, () => {
      const line = this.get(`macdline:${fast}:${slow}`, () => {
        const fastEma = this.ema(fast);
        const slowEma = this.ema(slow);
        const out = new Float64Array(fastEma.length);
        for (let t = 0; t < out.length; t++) out[t] = fastEma[t] - slowEma[t];
        return [out];
      })[0];
      return [line, ema(line, signal, undefined, null)];
    });
  }

  /**
   * The MACD arrays with the EMAs' error bounds (for MacdOrder), and macdBounds of them
   * (computed once per (fast, slow, signal): a pass over the series).
   */
  macdExact(fast: number, slow: number, signal: number): { arrays: MacdArrays; bounds: { line: number; signal: number } } {
    const [line, signalLine] = this.macd(fast, slow, signal);
    const arrays: MacdArrays = {
      fast,
      slow,
      signal,
      fastEma: this.ema(fast),
      slowEma: this.ema(slow),
      line,
      signalLine,
      fastBound: this.emaBound(fast),
      slowBound: this.emaBound(slow),
    };
    const [lineBound, signalBound] = this.get(`macdbound:${fast}:${slow}:${signal}`, () => {
      const bounds = macdBounds(arrays);
      return [Float64Array.of(bounds.line, bounds.signal)];
    })[0];
    return { arrays, bounds: { line: lineBound, signal: signalBound } };
  }

  /** Highest high of the N bars before each bar: out[t] = max(high[t−N .. t−1]); NaN for t < N. */
  priorHigh(period: number): Float64Array {
    return this.get(`hh:${period}`, () => [priorExtreme(this.series.high, period, true)])[0];
  }

  /** Lowest low of the N bars before each bar: out[t] = min(low[t−N .. t−1]); NaN for t < N. */
  priorLow(period: number): Float64Array {
    return this.get(`ll:${period}`, () => [priorExtreme(this.series.low, period, false)])[0];
  }
}

/** Rolling max (or min) over the `period` values before each index, O(n) with a monotonic deque. */
export function priorExtreme(values: Float64Array, period: number, max: boolean): Float64Array {
  if (!Number.isInteger(period) || period < 1) throw new RangeError(`period must be an integer ≥ 1, got ${period}`);
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  const deque = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let t = 0; t < n; t++) {
    // The deque holds the window values[t−period .. t−1] (indexes, extremes first).
    if (t >= period) {
      while (deque[head] < t - period) head++;
      out[t] = values[deque[head]];
    }
    const value = values[t];
    if (max) while (tail > head && values[deque[tail - 1]] <= value) tail--;
    else while (tail > head && values[deque[tail - 1]] >= value) tail--;
    deque[tail++] = t;
  }
  return out;
}
