/**
 * The decimal tick grid of a price series: the fewest decimals d ≤ MAX_TICK_DECIMALS such that
 * every value is the float64 nearest to a decimal with d places (a price written in whole cents
 * is on the d = 2 grid). On the grid each value stands for the exact decimal units/10^d, and sums
 * of units are exact in float64 while they stay below 2^53, so indicators built from window sums
 * (SMA) are exact functions of the decimals and comparisons between them can be decided exactly.
 */

/** Most decimals a grid may have (prices in 1e-8, as crypto exchanges quote). */
export const MAX_TICK_DECIMALS = 8;

/**
 * Largest |units| of a value on a grid. Below 2^51 two different decimals of the grid are
 * different doubles, and units·10^k (k ≤ 8) computed in float64 rounds back to the right integer.
 */
const MAX_UNITS = 2 ** 51;

export interface TickGrid {
  /** Decimal places d. */
  readonly decimals: number;
  /** 10^d. */
  readonly scale: number;
  /** values[i]·10^d as exact integers (held in float64). */
  readonly units: Float64Array;
  /** The largest |units[i]|. */
  readonly maxUnits: number;
}

function onGrid(value: number, scale: number): boolean {
  const units = Math.round(value * scale);
  return Math.abs(units) <= MAX_UNITS && units / scale === value;
}

/**
 * The tick grid of `values`, or undefined when some value is on no grid of ≤ MAX_TICK_DECIMALS
 * decimals (synthetic float data, NaN, infinities) or too large for exact units. O(n), one pass
 * in the common case (a value on the d grid is on every finer grid, so d only grows).
 */
export function tickGrid(values: ArrayLike<number>): TickGrid | undefined {
  const n = values.length;
  let decimals = 0;
  let scale = 1;
  for (let i = 0; i < n; i++) {
    const value = values[i];
    while (!onGrid(value, scale)) {
      if (decimals === MAX_TICK_DECIMALS) return undefined;
      decimals++;
      scale *= 10;
    }
  }
  const units = new Float64Array(n);
  let maxUnits = 0;
  for (let i = 0; i < n; i++) {
    const u = Math.round(values[i] * scale);
    if (u / scale !== values[i]) return undefined; // cannot happen (see above); never trust it silently
    units[i] = u;
    const size = u < 0 ? -u : u;
    if (size > maxUnits) maxUnits = size;
  }
  return { decimals, scale, units, maxUnits };
}

/**
 * Whether running sums of `period` units (and one value more, while a window slides) stay exact,
 * and period·10^d is an exact divisor, so fl(sum / (period·10^d)) is the correctly rounded mean.
 */
export function exactWindowMeans(grid: TickGrid, period: number): boolean {
  return grid.maxUnits * (period + 1) <= Number.MAX_SAFE_INTEGER && period * grid.scale <= Number.MAX_SAFE_INTEGER;
}
