/** Helpers shared by the indicator implementations. */

export function checkPeriod(period: number, name = 'period'): void {
  if (!Number.isInteger(period) || period < 1) throw new RangeError(`${name} must be an integer ≥ 1, got ${period}`);
}

/** An output array of the right length, filled with NaN (the warm-up marker). */
export function nanArray(length: number, out?: Float64Array): Float64Array {
  if (out && out.length !== length) throw new RangeError(`output length ${out.length} ≠ input length ${length}`);
  const result = out ?? new Float64Array(length);
  result.fill(NaN);
  return result;
}

/** Index of the first input holding a number (leading NaN: another indicator's warm-up), or the length. */
export function firstNumberIndex(values: ArrayLike<number>): number {
  let start = 0;
  while (start < values.length && Number.isNaN(values[start])) start++;
  return start;
}

/**
 * Running window sums drift by rounding; every so many steps the window is summed again
 * exactly. Resyncing every max(1024, period) steps keeps the total cost O(n).
 */
export function resyncInterval(period: number): number {
  return period > 1024 ? period : 1024;
}
