/**
 * Equity curves in results are sampled: `points` bars evenly spread over the curve, always its first
 * and last bar (every bar when the curve is shorter). Bar i of the sample is round(i·(n−1)/(points−1)).
 */
export interface SampledCurve {
  /** Bar numbers (of the whole series) of the sampled marks, ascending. */
  bar: number[];
  /** Close mark of each sampled bar, the curve starting at 1. */
  equity: number[];
}

/** A ranked row's equity curve over the whole series. */
export interface EquityCurve extends SampledCurve {
  symbol: string;
  params: Record<string, number>;
  /** Open time of each sampled bar (ms since the epoch). */
  time: number[];
}

/** The sampled bar offsets (0 … n−1) of a curve of n marks. */
export function sampleOffsets(n: number, points: number): number[] {
  if (n <= points) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: points }, (_, i) => Math.round((i * (n - 1)) / (points - 1)));
}

/** Samples the first n marks; `firstBar` is the bar number of marks[0]. */
export function sampleCurve(marks: ArrayLike<number>, n: number, points: number, firstBar = 0): SampledCurve {
  const offsets = sampleOffsets(n, points);
  return { bar: offsets.map((i) => firstBar + i), equity: offsets.map((i) => marks[i]) };
}

/** A curve's drawdown at each of its marks: equity / the highest equity up to it − 1 (0 at a new high, < 0 below one). */
export function drawdownCurve(equity: readonly number[]): number[] {
  let peak = Number.NEGATIVE_INFINITY;
  return equity.map((value) => {
    peak = Math.max(peak, value);
    return peak > 0 ? value / peak - 1 : 0;
  });
}
