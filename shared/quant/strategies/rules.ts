import type { SignalBuffer } from './types.js';

/**
 * Crossover rule shared by the crossover kinds: from bar `start` on, at each close the target
 * is long when above[t] > below[t], else flat (allowShort = false) or short (allowShort = true).
 * Nothing is decided before `start` (flat). Writes only the changes.
 */
export function crossoverSignals(above: Float64Array, below: Float64Array, start: number, allowShort: boolean, out: SignalBuffer): void {
  const n = above.length;
  const notLong = allowShort ? -1 : 0;
  let current = 0;
  for (let t = start < 0 ? 0 : start; t < n; t++) {
    const want = above[t] > below[t] ? 1 : notLong;
    if (want !== current) {
      out.push(t, want);
      current = want;
    }
  }
}
