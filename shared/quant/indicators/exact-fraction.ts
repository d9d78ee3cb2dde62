/**
 * Exact rational arithmetic for the rare decisions that rounding cannot settle (see EmaOrder,
 * MacdOrder, BandOrder): BigInt fractions, not reduced (each decision combines only a few).
 */

/** n/d with d > 0. */
export interface Fraction {
  n: bigint;
  d: bigint;
}

export const add = (a: Fraction, b: Fraction): Fraction => ({ n: a.n * b.d + b.n * a.d, d: a.d * b.d });
export const negate = (a: Fraction): Fraction => ({ n: -a.n, d: a.d });
export const times = (a: Fraction, b: Fraction): Fraction => ({ n: a.n * b.n, d: a.d * b.d });

/** The exact value of a finite double as a fraction n/2^e. */
export function dyadic(value: number): Fraction {
  let e = 0n;
  let scaled = value;
  while (!Number.isInteger(scaled)) {
    scaled *= 2; // exact: a power of two
    e++;
  }
  return { n: BigInt(scaled), d: 1n << e };
}
