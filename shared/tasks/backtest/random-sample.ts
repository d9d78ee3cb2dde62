/**
 * Seeded random search: the k-th sampled combination of a sweep of `space` combinations is
 * permutation(k), a keyed pseudo-random permutation of [0, space). Any k is computed on its own
 * (no list of samples to generate, store or send), the first `samples` values are distinct, and
 * the same seed gives the same sample on every node and for every partitioning.
 *
 * The permutation is a 4-round balanced Feistel network over the smallest even number of bits
 * covering the space (so the domain is < 4 × space), with cycle walking to stay inside [0, space).
 * Halves have at most 27 bits, so the round function works in 32-bit integer arithmetic.
 */
export const MAX_SAMPLE_SPACE = Number.MAX_SAFE_INTEGER;

const ROUNDS = 4;

function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

export class RandomSample {
  private readonly halfBits: number;
  private readonly half: number;
  private readonly mask: number;
  private readonly keys: Uint32Array;

  constructor(
    readonly space: number,
    readonly seed: number,
  ) {
    if (!Number.isSafeInteger(space) || space < 1) throw new RangeError(`sample space must be a safe integer ≥ 1, got ${space}`);
    let bits = 2;
    while (2 ** bits < space) bits += 2;
    this.halfBits = bits / 2;
    this.half = 2 ** this.halfBits;
    this.mask = this.half - 1;
    this.keys = new Uint32Array(ROUNDS);
    let state = mix32((seed >>> 0) ^ 0x9e3779b9);
    for (let i = 0; i < ROUNDS; i++) {
      state = mix32(state + 0x6d2b79f5 + i);
      this.keys[i] = state;
    }
  }

  /** The combination index of sample k (0 ≤ k < space); distinct for distinct k. */
  at(k: number): number {
    if (!(Number.isInteger(k) && k >= 0 && k < this.space)) throw new RangeError(`sample ${k} out of 0..${this.space - 1}`);
    let x = k;
    do x = this.permute(x);
    while (x >= this.space);
    return x;
  }

  private permute(x: number): number {
    let left = Math.floor(x / this.half);
    let right = x % this.half;
    for (let i = 0; i < ROUNDS; i++) {
      const next = (left ^ (mix32(right ^ this.keys[i]) & this.mask)) >>> 0;
      left = right;
      right = next;
    }
    return left * this.half + right;
  }
}
