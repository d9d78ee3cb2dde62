import { checkPeriod, firstNumberIndex, nanArray } from './common.js';
import { add, dyadic, negate, times, type Fraction } from './exact-fraction.js';
import { exactWindowMeans, tickGrid, type TickGrid } from './tick-grid.js';

/** The smoothing factor α = 2 / (period + 1). */
export function emaAlpha(period: number): number {
  return 2 / (period + 1);
}

/**
 * Whether ema() seeds with the exact mean (on the values' tick grid, no leading NaN, exact window
 * means for the period): the arithmetic regime of every EMA value, since each goes on from the seed.
 */
export function exactEmaSeed(grid: TickGrid | null, period: number, start: number): grid is TickGrid {
  return grid !== null && start === 0 && exactWindowMeans(grid, period);
}

/**
 * The seed, as ema() computes it: the mean of values[start .. start+period-1], exact and correctly
 * rounded on the grid (exactEmaSeed), else summed in order in floats and divided once.
 */
export function emaSeed(values: ArrayLike<number>, period: number, start: number, grid: TickGrid | null): number {
  if (exactEmaSeed(grid, period, start)) {
    let units = 0;
    for (let i = 0; i < period; i++) units += grid.units[i];
    return units / (period * grid.scale);
  }
  let sum = 0;
  for (let i = start; i < start + period; i++) sum += values[i];
  return sum / period;
}

/** One step: the EMA after `input`, from the EMA before it (value + α·(input − value)). */
export function emaStep(value: number, alpha: number, input: number): number {
  return value + alpha * (input - value);
}

/**
 * Exponential moving average with α = 2 / (period + 1), seeded with the simple mean of the
 * first `period` inputs: out[s+period-1] = mean(values[s .. s+period-1]), then
 * out[t] = out[t-1] + α·(values[t] − out[t-1]). Leading NaN inputs (another indicator's
 * warm-up) are skipped: s is the first index holding a number. NaN before the seed. O(n).
 * On a decimal tick grid (see tick-grid.ts) the seed is the exact mean correctly rounded.
 * `grid`: the values' grid when the caller has it (undefined: detected here; null: none).
 * Its last value is all it needs to go on (emaStep: an incremental re-run continues from it).
 */
export function ema(values: ArrayLike<number>, period: number, out?: Float64Array, grid: TickGrid | null = tickGrid(values) ?? null): Float64Array {
  checkPeriod(period);
  const n = values.length;
  const result = nanArray(n, out);
  const start = firstNumberIndex(values);
  if (n - start < period) return result;
  let value = emaSeed(values, period, start, grid);
  result[start + period - 1] = value;
  const alpha = emaAlpha(period);
  for (let t = start + period; t < n; t++) {
    value = emaStep(value, alpha, values[t]);
    result[t] = value;
  }
  return result;
}

/** Unit roundoff of float64. */
const U = 2 ** -53;

/**
 * A bound on |ema[t] − exact EMA at t| over every bar of an ema() array (the exact EMA: exact α,
 * on exact inputs). Per step the float form v + fl(fl(α)·fl(x − v)) rounds α, x − v, the product
 * and the sum (≤ 2^-53 relative each); the error carried from the bar before shrinks by (1 − α).
 * Bounded with twice those terms, then a relative margin for the bound's own rounding.
 * For closes on a tick grid the exact inputs are the decimals (within 2^-53·|x| of the doubles,
 * counted in) and the seed is the exact mean correctly rounded (the default seedError).
 * `inputError`: a bound on each input's own error beyond that (a MACD line's, for its signal);
 * `seedError`: a bound on the seed's error when it is not correctly rounded.
 */
export function emaErrorBound(values: ArrayLike<number>, period: number, ema: Float64Array, inputError = 0, seedError?: number): number {
  const n = values.length;
  const seed = firstNumberIndex(values) + period - 1;
  if (n <= seed) return 0;
  const alpha = 2 / (period + 1);
  const keep = 1 - alpha;
  let error = seedError ?? 2 * U * Math.abs(ema[seed]);
  let worst = error;
  for (let t = seed + 1; t < n; t++) {
    const x = values[t];
    const before = ema[t - 1];
    const local = alpha * (inputError + 6 * U * Math.abs(x - before) + 2 * U * Math.abs(x)) + 2 * U * Math.abs(ema[t]);
    error = keep * error + local;
    if (error > worst) worst = error;
  }
  return worst * (1 + 1e-6) + Number.MIN_VALUE;
}

/** Unit roundoff of float64, for the bounds of indicators built on EMAs. */
export const UNIT_ROUNDOFF = U;

/** One EMA's view for an exact decision: its period, seed bar, float values and error bound. */
interface EmaSide {
  period: number;
  values: Float64Array;
  bound: number;
}

/**
 * EMA(t) written over its last k bars: c·EMA(t−k) + R with c = ((p−1)/(p+1))^k and
 * R = Σ α(1−α)^(t−i)·x_i over i = t−k+1 .. t, in grid units; EMA(t−k) is exact (the seed S/p)
 * when t − k is the seed bar, else the float value within ± bound (`uncertainty` = c·bound).
 */
function windowForm(units: Float64Array, scale: Fraction, side: EmaSide, t: number, k: number): { value: Fraction; uncertainty: Fraction } {
  const p = BigInt(side.period);
  const q = p + 1n;
  let n = 0n;
  let d = 1n;
  for (let i = t - k + 1; i <= t; i++) {
    n = (p - 1n) * n + 2n * BigInt(units[i]) * d;
    d *= q;
  }
  const coefficient: Fraction = { n: (p - 1n) ** BigInt(k), d: q ** BigInt(k) };
  const recent: Fraction = { n, d };
  const seed = side.period - 1;
  if (t - k === seed) {
    let sum = 0n;
    for (let i = 0; i <= seed; i++) sum += BigInt(units[i]);
    return { value: add(recent, times(coefficient, { n: sum, d: p })), uncertainty: { n: 0n, d: 1n } };
  }
  const old = times(dyadic(side.values[t - k]), scale);
  return { value: add(recent, times(coefficient, old)), uncertainty: times(coefficient, times(dyadic(side.bound), scale)) };
}

/**
 * The exact order of EMA(a) and EMA(b) of one series on its tick grid (ema() arrays with their
 * emaErrorBound), for the bars where the doubles are within `margin` of each other: the float
 * difference is then too small to trust. Decides sign(EMA(a) − EMA(b)) exactly by writing each EMA
 * over its last k bars exactly (BigInt) plus its float value k bars back, whose error is scaled
 * down by (1 − α)^k; k doubles until the sign is certain, at most up to the seeds, where both
 * are exact. Cost O(k²) in the bits of (p+1)^k, for the rare bars that need it.
 */
export class EmaOrder {
  /** |ema(a) − ema(b)| at or below this may have the wrong sign (the sum of the bounds, with slack). */
  readonly margin: number;
  private readonly scale: Fraction;

  private constructor(
    private readonly units: Float64Array,
    decimals: number,
    private readonly a: EmaSide,
    private readonly b: EmaSide,
  ) {
    this.margin = (a.bound + b.bound) * (1 + 1e-6);
    this.scale = { n: 10n ** BigInt(decimals), d: 1n };
  }

  /** Undefined off the grid or when a seed is not exact (see ema()). */
  static of(grid: TickGrid | undefined, a: EmaSide, b: EmaSide): EmaOrder | undefined {
    if (grid === undefined || !exactWindowMeans(grid, a.period) || !exactWindowMeans(grid, b.period)) return undefined;
    return new EmaOrder(grid.units, grid.decimals, a, b);
  }

  /** sign(EMA(a) − EMA(b)) exactly at bar t (t ≥ both seeds). */
  compare(t: number): number {
    const reachA = t - (this.a.period - 1);
    const reachB = t - (this.b.period - 1);
    for (let k = 16; ; k *= 2) {
      const ka = k < reachA ? k : reachA;
      const kb = k < reachB ? k : reachB;
      const x = windowForm(this.units, this.scale, this.a, t, ka);
      const y = windowForm(this.units, this.scale, this.b, t, kb);
      const difference = add(x.value, negate(y.value));
      const uncertainty = add(x.uncertainty, y.uncertainty);
      const sign = difference.n > 0n ? 1 : difference.n < 0n ? -1 : 0;
      if (ka === reachA && kb === reachB) return sign; // both exact from their seeds
      // |difference| > uncertainty, both denominators positive.
      const size = sign < 0 ? -difference.n : difference.n;
      if (size * uncertainty.d > uncertainty.n * difference.d) return sign;
    }
  }

  greater(t: number): boolean {
    return this.compare(t) > 0;
  }
}
