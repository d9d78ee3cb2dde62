/** A contiguous run of unit indexes [first, first + count). */
export interface UnitRange {
  first: number;
  count: number;
}

/**
 * Cuts units 0..units−1 into min(target, units) contiguous, non-empty ranges, in order,
 * whose sizes differ by at most one (the first ones get the extra unit). target < 1 counts as 1.
 */
export function splitRange(units: number, target: number): UnitRange[] {
  if (!Number.isInteger(units) || units < 0) throw new RangeError(`units must be a non-negative integer, got ${units}`);
  if (units === 0) return [];
  const wanted = Number.isFinite(target) ? Math.floor(target) : 1;
  const parts = Math.min(units, Math.max(1, wanted));
  const base = Math.floor(units / parts);
  const extra = units % parts;
  const ranges: UnitRange[] = new Array(parts);
  let first = 0;
  for (let i = 0; i < parts; i++) {
    const count = base + (i < extra ? 1 : 0);
    ranges[i] = { first, count };
    first += count;
  }
  return ranges;
}
