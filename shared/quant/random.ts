/**
 * Small, fast, seeded pseudo-random numbers. Not cryptographic: for reproducible
 * synthetic data and tests only. Everything here is deterministic for a given seed.
 */

/** A source of uniform numbers in [0, 1). */
export type Uniform = () => number;

/** A source of standard normal numbers (mean 0, variance 1). */
export type Normal = () => number;

/**
 * mulberry32: a 32-bit state generator with a full 2^32 period; good enough statistical
 * quality for simulation, and very cheap. Returns uniforms in [0, 1) with 32 bits of precision.
 */
export function mulberry32(seed: number): Uniform {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Standard normal sampler over a uniform source (Box–Muller, polar-free form).
 * Each pair of uniforms yields two normals; the second is kept for the next call,
 * so there is no allocation per sample.
 */
export function normalSampler(uniform: Uniform): Normal {
  let spare = 0;
  let hasSpare = false;
  return () => {
    if (hasSpare) {
      hasSpare = false;
      return spare;
    }
    // 1 - u lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    hasSpare = true;
    return radius * Math.cos(angle);
  };
}

/** A seeded uniform and normal pair over one stream (the normal draws from the uniform). */
export interface SeededRandom {
  readonly uniform: Uniform;
  readonly normal: Normal;
}

export function seededRandom(seed: number): SeededRandom {
  const uniform = mulberry32(seed);
  return { uniform, normal: normalSampler(uniform) };
}

/** Final avalanche of MurmurHash3: spreads every input bit over the whole 32-bit word. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * 32-bit hash of a list of strings and numbers: FNV-1a over each part's type tag, length
 * and UTF-16 code units (the length prefix keeps ["ab","c"] and ["a","bc"] apart), then
 * an avalanche. Used to derive independent stream seeds, e.g. from (seed, symbol, timeframe).
 */
export function hash32(...parts: ReadonlyArray<string | number>): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const text = typeof part === 'number' ? `n${part}` : `s${part}`;
    h = Math.imul(h ^ (text.length & 0xffff), 0x01000193);
    h = Math.imul(h ^ (text.length >>> 16), 0x01000193);
    for (let i = 0; i < text.length; i++) {
      h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    }
  }
  return fmix32(h);
}
