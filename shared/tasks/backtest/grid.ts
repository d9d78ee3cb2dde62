import type { ParamSchema } from '../../quant/strategies/index.js';

/**
 * The parameter sweep of a backtest: every swept parameter's range, combined in lexicographic
 * order of the schema (the first parameter slowest, the last fastest), keeping only the
 * combinations that satisfy the strategy's constraint (at most one, left < right, between two
 * adjacent parameters). Combination k is decoded without enumerating the ones before it.
 */
export interface ParamRange {
  start: number;
  stop: number;
  /** > 0 (a single value has step 1). */
  step: number;
}

/** Number of values start, start+step, … ≤ stop (reals: with a 1e-9-step tolerance at stop). */
export function valueCount(range: ParamRange, real: boolean): number {
  const steps = (range.stop - range.start) / range.step;
  return Math.floor(real ? steps + 1e-9 : steps) + 1;
}

/** Value i of a range; reals are rounded to 12 significant digits (0.1·3 reads 0.3). */
export function valueAt(range: ParamRange, i: number, real: boolean): number {
  const value = range.start + i * range.step;
  return real ? Number(value.toPrecision(12)) : value;
}

interface PairTable {
  /** Left values with at least one right value above them, ascending. */
  leftValues: Float64Array;
  /** Index (in the right range) of the first right value above leftValues[i]. */
  firstRight: Float64Array;
  /** offsets[i] = index of the first pair with leftValues[i]; offsets[m] = total. */
  offsets: Float64Array;
  total: number;
}

interface Digit {
  /** Index of the (left) parameter; a pair digit also sets the next one. */
  param: number;
  pair: PairTable | null;
  count: number;
}

/**
 * The pairs left < right of two ranges, or null when more than `cap` left values can pair
 * (then there are more than `cap` pairs). O(usable left values).
 */
function pairTable(left: ParamRange, leftReal: boolean, right: ParamRange, rightReal: boolean, cap: number): PairTable | null {
  const rightCount = valueCount(right, rightReal);
  const rightLast = valueAt(right, rightCount - 1, rightReal);
  const leftCount = valueCount(left, leftReal);
  const values: number[] = [];
  const firsts: number[] = [];
  for (let i = 0; i < leftCount; i++) {
    const value = valueAt(left, i, leftReal);
    if (!(value < rightLast)) break;
    if (values.length >= cap) return null;
    // First right index with a value above `value`: estimate, then correct for rounding.
    let j = value < right.start ? 0 : Math.max(0, Math.min(rightCount - 1, Math.floor((value - right.start) / right.step) + 1));
    while (j > 0 && valueAt(right, j - 1, rightReal) > value) j--;
    while (j < rightCount && !(valueAt(right, j, rightReal) > value)) j++;
    values.push(value);
    firsts.push(j);
  }
  const offsets = new Float64Array(values.length + 1);
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    offsets[i] = total;
    total += rightCount - firsts[i];
  }
  offsets[values.length] = total;
  return { leftValues: Float64Array.from(values), firstRight: Float64Array.from(firsts), offsets, total };
}

export class ParamGrid {
  readonly names: readonly string[];
  /** Combinations satisfying the constraint (possibly more than `cap`; then `tooMany`). */
  readonly total: number;
  /** True when the constrained pair alone has more than `cap` combinations (total is then a lower bound). */
  readonly tooMany: boolean;
  /** Name of the constraint's left parameter, or null without a constraint. */
  readonly constrained: string | null;
  private readonly digits: Digit[] = [];
  private readonly real: boolean[];

  /**
   * schema: the swept parameters in order; ranges: a validated range for each; constraint:
   * left < right between adjacent parameters; cap: stop counting pairs beyond this many.
   */
  constructor(
    schema: readonly ParamSchema[],
    private readonly ranges: readonly ParamRange[],
    constraint: { left: string; right: string } | null,
    cap = Number.MAX_SAFE_INTEGER,
  ) {
    this.names = schema.map((p) => p.name);
    this.real = schema.map((p) => p.type === 'real');
    this.constrained = constraint ? constraint.left : null;
    let total = 1;
    let tooMany = false;
    for (let i = 0; i < schema.length; i++) {
      if (constraint && schema[i].name === constraint.left && schema[i + 1]?.name === constraint.right) {
        const pair = pairTable(ranges[i], this.real[i], ranges[i + 1], this.real[i + 1], cap);
        if (pair === null) tooMany = true;
        const count = pair === null ? cap + 1 : pair.total;
        this.digits.push({ param: i, pair, count });
        total *= count;
        i++;
      } else {
        const count = valueCount(ranges[i], this.real[i]);
        this.digits.push({ param: i, pair: null, count });
        total *= count;
      }
    }
    this.total = total;
    this.tooMany = tooMany;
  }

  /** Writes the parameter values of combination k (0 ≤ k < total) into out, in schema order. */
  decode(k: number, out: Float64Array): Float64Array {
    if (!(k >= 0 && k < this.total) || this.tooMany) throw new RangeError(`combination ${k} out of 0..${this.total - 1}`);
    let rest = k;
    for (let d = this.digits.length - 1; d >= 0; d--) {
      const digit = this.digits[d];
      const index = rest % digit.count;
      rest = (rest - index) / digit.count;
      const i = digit.param;
      const pair = digit.pair;
      if (pair === null) {
        out[i] = valueAt(this.ranges[i], index, this.real[i]);
      } else {
        const { offsets } = pair;
        let lo = 0;
        let hi = pair.leftValues.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >>> 1;
          if (offsets[mid] <= index) lo = mid;
          else hi = mid - 1;
        }
        out[i] = pair.leftValues[lo];
        out[i + 1] = valueAt(this.ranges[i + 1], pair.firstRight[lo] + (index - offsets[lo]), this.real[i + 1]);
      }
    }
    return out;
  }
}
