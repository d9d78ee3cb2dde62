import { bollinger } from '../indicators/bollinger.js';
import { ema } from '../indicators/ema.js';
import { rsi } from '../indicators/rsi.js';
import { sma } from '../indicators/sma.js';

const DEFAULT_BUDGET_BYTES = 128 * 1024 * 1024;
/** Entries always kept whatever the budget: more than any one combination needs at once. */
const MIN_ENTRIES = 8;

/**
 * Indicator arrays of one series, computed once per (indicator, parameters) and shared by every
 * combination of a sweep. Bounded by a byte budget: least recently used entries are dropped
 * (not recycled, so an array a caller still holds stays valid). A recomputed array is
 * bit-identical, so the budget never changes results.
 */
export class IndicatorCache {
  private readonly entries = new Map<string, Float64Array[]>();
  private bytes = 0;

  constructor(
    readonly series: { readonly open: Float64Array; readonly high: Float64Array; readonly low: Float64Array; readonly close: Float64Array },
    readonly budgetBytes = DEFAULT_BUDGET_BYTES,
  ) {}

  private get(key: string, compute: () => Float64Array[]): Float64Array[] {
    const cached = this.entries.get(key);
    if (cached) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    const value = compute();
    const size = value.reduce((total, array) => total + array.byteLength, 0);
    while (this.entries.size >= MIN_ENTRIES && this.bytes + size > this.budgetBytes) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, Float64Array[]];
      this.entries.delete(oldestKey);
      this.bytes -= oldest.reduce((total, array) => total + array.byteLength, 0);
    }
    this.entries.set(key, value);
    this.bytes += size;
    return value;
  }

  get size(): number {
    return this.entries.size;
  }

  /** SMA of the closes. */
  sma(period: number): Float64Array {
    return this.get(`sma:${period}`, () => [sma(this.series.close, period)])[0];
  }

  /** EMA of the closes (seeded with the mean of the first `period` closes). */
  ema(period: number): Float64Array {
    return this.get(`ema:${period}`, () => [ema(this.series.close, period)])[0];
  }

  /** Wilder RSI of the closes. */
  rsi(period: number): Float64Array {
    return this.get(`rsi:${period}`, () => [rsi(this.series.close, period)])[0];
  }

  /** Bollinger bands of the closes: [middle, upper, lower]. */
  bollinger(period: number, k: number): Float64Array[] {
    return this.get(`bb:${period}:${k}`, () => {
      const bands = bollinger(this.series.close, period, k);
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
      return [line, ema(line, signal)];
    });
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
